import type { XmlEvents, XmlNode } from '../../../common/xml/reader.js';
import type { MoRef } from '../soap/xml.js';

export type { MoRef };

/**
 * What the vim/ helpers need to make a call: the wire client itself, or anything that wraps it
 * (a session that logs in again on NotAuthenticated). A streamed call may be retried after a
 * fault, which arrives before any content event, so its `events` never see a half answer twice.
 */
export interface VimCaller {
  readonly endpoint: string;
  call(method: string, self: MoRef, body?: string): Promise<XmlNode>;
  callStream(method: string, self: MoRef, body: string, events: XmlEvents): Promise<void>;
}

/** `<x type="T">value</x>` read back as a managed object reference (null when absent). */
export function toMoRef(node: XmlNode | null | undefined): MoRef | null {
  return node ? { type: node.refType ?? '', value: node.text } : null;
}
