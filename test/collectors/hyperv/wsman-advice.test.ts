// The Hyper-V edge adds the admin advice the WS-Man layer cannot give, keeping the error's class and facts.
import { describe, expect, it } from 'vitest';
import { REQUIRED_GROUPS, withHypervAdvice } from '../../../collectors/hyperv/wsman-advice.js';
import {
  WsmanAccessDeniedError,
  WsmanAuthError,
  WsmanInvalidNamespaceError,
  WsmanTimeoutError,
  type FaultInfo,
} from '../../../collectors/wsman/index.js';

const fault: FaultInfo = {
  code: 'Sender',
  subcode: 'AccessDenied',
  subcodeNamespace: '',
  wsmanFaultCode: 5,
  detail: null,
  message: 'Access is denied.',
  machine: 'hv01',
};
const EP = 'http://hv01:5985/wsman';

describe('Hyper-V advice on WS-Man errors', () => {
  it('access denied: the groups, on the same error', () => {
    const raw = new WsmanAccessDeniedError(EP, 'Access is denied.', fault);
    expect(raw.fix).not.toMatch(/Hyper-V|Remote Management/);
    const e = withHypervAdvice(raw) as WsmanAccessDeniedError;
    expect(e).toBeInstanceOf(WsmanAccessDeniedError);
    expect([e.name, e.code, e.message, e.endpoint, e.fault]).toEqual([raw.name, raw.code, raw.message, raw.endpoint, raw.fault]);
    expect(e.message).toBe(`${EP}: access denied (Access is denied.)`);
    expect(e.fix).toBe(
      'Use a member of the local Administrators group, or add the account on this host to the groups "Remote Management Users", "Hyper-V Administrators", "Performance Monitor Users" (Azure Migrate\'s MicrosoftAzureMigrate-Hyper-V.ps1 does the same).',
    );
    expect(REQUIRED_GROUPS).toHaveLength(3);
  });

  it('invalid namespace: the Hyper-V role', () => {
    const raw = new WsmanInvalidNamespaceError(
      EP,
      'Invalid namespace',
      null,
      'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*',
    );
    expect(raw.fix).not.toMatch(/Hyper-V/);
    const e = withHypervAdvice(raw) as WsmanInvalidNamespaceError;
    expect(e).toBeInstanceOf(WsmanInvalidNamespaceError);
    expect(e.message).toBe(raw.message);
    expect(e.resourceUri).toBe(raw.resourceUri);
    expect(e.fix).toMatch(/^For root\/virtualization\/v2: the Hyper-V role is not installed on this host/);
  });

  it('timeout: the source key timeoutSec, which the WS-Man layer does not know', () => {
    const raw = new WsmanTimeoutError(EP, 'no answer within 35000 ms (UND_ERR_HEADERS_TIMEOUT)');
    expect(raw.fix).not.toMatch(/timeoutSec/);
    const e = withHypervAdvice(raw) as WsmanTimeoutError;
    expect(e).toBeInstanceOf(WsmanTimeoutError);
    expect(e.message).toBe(raw.message);
    expect(e.fix).toBe('The host is slow or overloaded; raise timeoutSec for this source, or check the host (WMI service, CPU).');
  });

  it('anything else passes unchanged', () => {
    const auth = new WsmanAuthError(EP, 'refused');
    expect(withHypervAdvice(auth)).toBe(auth);
    const plain = new Error('x');
    expect(withHypervAdvice(plain)).toBe(plain);
  });
});
