// ViewManager container views (govmomi: view.Manager, view.ContainerView).
import { child } from '../../../common/xml/reader.js';
import { BadResponseError } from '../soap/errors.js';
import { el, moRef, type MoRef } from '../soap/xml.js';
import { toMoRef, type VimCaller } from './caller.js';
import type { ObjectSpec } from './property.js';

/** CreateContainerView: a view of every object of `types` under `container`. */
export async function createContainerView(
  caller: VimCaller,
  viewManager: MoRef,
  container: MoRef,
  types: readonly string[],
  recursive = true,
): Promise<MoRef> {
  const res = await caller.call(
    'CreateContainerView',
    viewManager,
    moRef('container', container) + types.map((t) => el('type', t)).join('') + el('recursive', recursive),
  );
  const view = toMoRef(child(res, 'returnval'));
  if (!view?.value) throw new BadResponseError(caller.endpoint, 'CreateContainerView', 'no view reference in the answer');
  return view;
}

/** DestroyView (a view left behind dies with the session anyway). */
export async function destroyView(caller: VimCaller, view: MoRef): Promise<void> {
  await caller.call('DestroyView', view);
}

/** The objectSet that selects every object of a container view (not the view itself). */
export function containerViewObjects(view: MoRef): ObjectSpec {
  return { obj: view, skip: true, selectSet: [{ name: 'view', type: 'ContainerView', path: 'view', skip: false }] };
}

/** Runs `use` with a fresh container view and destroys the view afterwards, whatever happened. */
export async function withContainerView<T>(
  caller: VimCaller,
  viewManager: MoRef,
  container: MoRef,
  types: readonly string[],
  use: (view: MoRef) => Promise<T>,
): Promise<T> {
  const view = await createContainerView(caller, viewManager, container, types);
  try {
    return await use(view);
  } finally {
    await destroyView(caller, view).catch(() => undefined);
  }
}
