// What an administrator must grant a Windows server's account, said where it is refused. The WS-Man
// layer only knows "access denied"; the rights a physical-server read needs are this collector's business.
import { UserError } from '../../common/errors.js';
import { WsmanAccessDeniedError } from '../wsman/index.js';

/** Local groups that let a non-administrator read the classes this collector uses. */
export const WINDOWS_REQUIRED_GROUPS = ['Remote Management Users', 'Performance Monitor Users'] as const;

export class WindowsAccessDeniedError extends UserError {
  readonly host: string;
  constructor(host: string, what: string, cause: WsmanAccessDeniedError) {
    super(`${host}: access denied reading ${what} (${cause.fault?.message.trim() || 'Access is denied.'})`, {
      code: 'WINDOWS_ACCESS_DENIED',
      cause,
      fix:
        `Use a member of the local Administrators group, or add the account on this server to the local groups ${WINDOWS_REQUIRED_GROUPS.map((g) => `"${g}"`).join(' and ')}, ` +
        'and allow it to read the WMI namespace root\\cimv2 (wmimgmt.msc > WMI Control > Properties > Security > root\\CIMV2: "Enable Account" and "Remote Enable"; ' +
        'plus DCOM "Remote Launch/Activation" for the account in dcomcnfg when the server is Windows Server 2012 R2 or older).',
    });
    this.name = 'WindowsAccessDeniedError';
    this.host = host;
  }
}

/** Re-throws a WS-Man access denial with the Windows-server rights; other errors pass through. */
export function explainAccess(host: string, what: string, err: unknown): unknown {
  return err instanceof WsmanAccessDeniedError ? new WindowsAccessDeniedError(host, what, err) : err;
}
