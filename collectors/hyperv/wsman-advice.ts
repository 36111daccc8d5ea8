// The admin-facing advice on WS-Man errors that only the Hyper-V collector can give: the groups its
// account needs, what a missing root/virtualization/v2 means, the source's config key for time.
// wsman/ carries the protocol facts.
import { countText } from '../../common/xml/limits.js';
import { WsmanAccessDeniedError, WsmanInvalidNamespaceError, WsmanLimitError, WsmanTimeoutError } from '../wsman/index.js';

export const REQUIRED_GROUPS = ['Remote Management Users', 'Hyper-V Administrators', 'Performance Monitor Users'] as const;

const ACCESS_FIX = `Use a member of the local Administrators group, or add the account on this host to the groups ${REQUIRED_GROUPS.map((g) => `"${g}"`).join(', ')} (Azure Migrate's MicrosoftAzureMigrate-Hyper-V.ps1 does the same).`;

const NAMESPACE_FIX =
  'For root/virtualization/v2: the Hyper-V role is not installed on this host (or it is Windows Server 2012, which is not supported). Point the source at a Hyper-V host running Windows Server 2012 R2 or later.';

const TIMEOUT_FIX = 'The host is slow or overloaded; raise timeoutSec for this source, or check the host (WMI service, CPU).';

const NOT_WINRM = "otherwise check that host, port and hostMap point at the host's WinRM listener (not at another server or a proxy)";

/** A reply past a cap: two caps are the source's settings (limits.maxResponseMB, limits.maxElements); the others no genuine host reaches. */
function limitFix(err: WsmanLimitError): string {
  if (err.limit === 'maxElements')
    return `Raise the source's limits.maxElements (now ${countText(err.value)}) if this host is genuine; ${NOT_WINRM}.`;
  if (err.limit === 'maxBytes')
    return `Raise the source's limits.maxResponseMB (now ${Math.round(err.value / 1048576)}) if this host is genuine; ${NOT_WINRM}.`;
  return `A genuine WinRM host never sends this; check that host, port and hostMap point at the host's WinRM listener.`;
}

/** The error with the Hyper-V fix when there is one; any other value unchanged. */
export function withHypervAdvice(err: unknown): unknown {
  if (err instanceof WsmanAccessDeniedError) return err.withFix(ACCESS_FIX);
  if (err instanceof WsmanInvalidNamespaceError) return err.withFix(NAMESPACE_FIX);
  if (err instanceof WsmanTimeoutError) return err.withFix(TIMEOUT_FIX);
  if (err instanceof WsmanLimitError) return err.withFix(limitFix(err));
  return err;
}
