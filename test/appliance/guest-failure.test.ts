import { describe, expect, it } from 'vitest';
import { classifyGuestError } from '../../appliance/guests/failure.js';
import {
  SshAuthError,
  SshBackoffError,
  SshConnectError,
  SshHostKeyError,
  SshPrivateKeyError,
  SshTimeoutError,
} from '../../collectors/ssh/index.js';
import { WsmanAuthError, WsmanTimeoutError, WsmanTransportError } from '../../collectors/wsman/errors.js';

const hostKey = (problem: 'unknown' | 'changed' | 'revoked') =>
  new SshHostKeyError('h', 22, problem, 'ssh-ed25519', 'SHA256:x', 'line', null);

describe('guest access failure reasons', () => {
  it('maps SSH errors', () => {
    expect(classifyGuestError(hostKey('unknown'))).toBe('host-key-unknown');
    expect(classifyGuestError(hostKey('changed'))).toBe('host-key-changed');
    expect(classifyGuestError(hostKey('revoked'))).toBe('host-key-changed');
    expect(classifyGuestError(new SshAuthError('h', 22, 'u', ['password']))).toBe('wrong-credential');
    expect(classifyGuestError(new SshPrivateKeyError('h', 22, 'encrypted'))).toBe('wrong-credential');
    expect(classifyGuestError(new SshTimeoutError('h', 22, 'handshake', 1000))).toBe('timeout');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyGuestError(new SshConnectError('h', 22, 'connection refused (no SSH server listening on that port)', refused))).toBe(
      'port-closed',
    );
    expect(classifyGuestError(new SshConnectError('h', 22, 'no route to the host (EHOSTUNREACH)'))).toBe('timeout');
    expect(classifyGuestError(new SshConnectError('h', 22, 'the connection was reset'))).toBe('refused');
    expect(classifyGuestError(new SshBackoffError('h', 22, hostKey('unknown'), Number.POSITIVE_INFINITY))).toBe('host-key-unknown');
  });

  it('maps WinRM errors and a reader that names its own reason', () => {
    expect(classifyGuestError(new WsmanAuthError('https://h:5986/wsman', 'HTTP 401'))).toBe('wrong-credential');
    expect(classifyGuestError(new WsmanTimeoutError('https://h:5986/wsman', 'no answer', null))).toBe('timeout');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyGuestError(new WsmanTransportError('https://h:5986/wsman', 'connection refused', 'fix', refused))).toBe('port-closed');
    expect(classifyGuestError(Object.assign(new Error('x'), { code: 'WINDOWS_GUEST_UNTRUSTED' }))).toBe('host-key-unknown');
    expect(classifyGuestError(Object.assign(new Error('x'), { failure: 'no-ip' }))).toBe('no-ip');
    expect(classifyGuestError(new Error('something else'))).toBe('error');
  });
});
