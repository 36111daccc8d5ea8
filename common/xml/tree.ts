// Builds XmlNode trees from reader events, for every answer except the bulk QueryPerf stream.
import { detach, type XmlNode } from './node.js';
import type { XmlEvents } from './sax-reader.js';

export interface TreeOptions {
  /**
   * Called when an element closes; returning true drops it from its parent. Lets a caller turn
   * each item into its own value as soon as it is complete, so a large batch never exists as one tree.
   */
  detach?: (node: XmlNode) => boolean;
}

export class TreeBuilder implements XmlEvents {
  readonly #stack: XmlNode[] = [];
  readonly #detach: ((node: XmlNode) => boolean) | undefined;
  root: XmlNode | null = null;

  constructor(opts: TreeOptions = {}) {
    this.#detach = opts.detach;
  }

  open(name: string, type: string | null, refType: string | null, node?: XmlNode): void {
    const el: XmlNode = node ?? { name, ns: '', type, refType, attrs: {}, text: '', children: null, parent: null, bindings: null };
    const parent = this.#stack[this.#stack.length - 1];
    if (parent) {
      el.parent = parent;
      if (parent.children) parent.children.push(el);
      else {
        // The first child: text so far was layout unless it holds something.
        if (parent.text.trim() === '') parent.text = '';
        parent.children = [el];
      }
    } else this.root = el;
    this.#stack.push(el);
  }

  text(text: string): void {
    const top = this.#stack[this.#stack.length - 1];
    // Between the children of an element, only layout whitespace is usual: keep real text only.
    if (top && (top.children === null || text.trim() !== '')) top.text += text;
  }

  close(): void {
    const node = this.#stack.pop();
    if (!node) return;
    if (node.children === null) node.text = detach(node.text);
    if (node.parent && this.#detach?.(node)) node.parent.children?.pop();
  }
}
