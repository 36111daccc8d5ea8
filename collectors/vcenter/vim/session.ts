// Session and service-instance methods as thin typed calls (govmomi: session, object.ServiceInstance).
import { child, textOf } from '../../../common/xml/reader.js';
import { el, type MoRef } from '../soap/xml.js';
import { toMoRef, type VimCaller } from './caller.js';

export const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

/** The parts of ServiceContent read here; a reference is null when the endpoint does not offer it. */
export interface ServiceContent {
  rootFolder: MoRef | null;
  propertyCollector: MoRef | null;
  viewManager: MoRef | null;
  sessionManager: MoRef | null;
  perfManager: MoRef | null;
  /** about.*: instanceUuid, version, build, apiType, fullName, apiVersion ... */
  about: Record<string, string>;
}

/** RetrieveServiceContent: needs no session. */
export async function retrieveServiceContent(caller: VimCaller): Promise<ServiceContent> {
  const rv = child(await caller.call('RetrieveServiceContent', SERVICE_INSTANCE), 'returnval');
  const about: Record<string, string> = {};
  for (const c of child(rv, 'about')?.children ?? []) if (!c.children) about[c.name] = c.text;
  return {
    rootFolder: toMoRef(child(rv, 'rootFolder')),
    propertyCollector: toMoRef(child(rv, 'propertyCollector')),
    viewManager: toMoRef(child(rv, 'viewManager')),
    sessionManager: toMoRef(child(rv, 'sessionManager')),
    perfManager: toMoRef(child(rv, 'perfManager')),
    about,
  };
}

/** SessionManager.Login; the client keeps the session cookie. Resolves with the session key (empty when not sent). */
export async function login(caller: VimCaller, sessionManager: MoRef, userName: string, password: string): Promise<string> {
  const res = await caller.call('Login', sessionManager, el('userName', userName) + el('password', password));
  return textOf(child(res, 'returnval'), 'key') ?? '';
}

export async function logout(caller: VimCaller, sessionManager: MoRef): Promise<void> {
  await caller.call('Logout', sessionManager);
}

/** ServiceInstance.CurrentTime in epoch ms, or null when the answer holds no time. */
export async function currentTime(caller: VimCaller): Promise<number | null> {
  const t = Date.parse(textOf(await caller.call('CurrentTime', SERVICE_INSTANCE), 'returnval') ?? '');
  return Number.isFinite(t) ? t : null;
}
