// Public face of the XML reader (common/xml/): the streaming reader, the tree builder, the node
// type with its helpers, and the limits. The vim25 client, the WS-Man client and both lab servers read with it.
import { SaxReader, type ReaderOptions } from './sax-reader.js';
import { TreeBuilder, type TreeOptions } from './tree.js';
import type { XmlNode } from './node.js';

export * from './limits.js';
export * from './node.js';
export { SaxReader, type ReaderOptions, type XmlEvents } from './sax-reader.js';
export { TreeBuilder, type TreeOptions } from './tree.js';

export type ParseOptions = ReaderOptions & TreeOptions;

/** Parses a whole document into a tree, with the same protections as the streaming reader. */
export function parseXml(text: string | Uint8Array, opts: ParseOptions = {}): XmlNode {
  const builder = new TreeBuilder(opts);
  const reader = new SaxReader(builder, opts);
  reader.write(text);
  reader.end();
  const root = builder.root;
  if (!root) throw new Error('unreachable: the reader accepted a document without a root');
  return root;
}
