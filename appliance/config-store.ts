import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isSeq, parseDocument, type Document, type YAMLSeq } from 'yaml';
import { writeFileAtomically } from '../common/atomic-file.js';
import { UserError } from '../common/errors.js';
import { parseConfig, type CollectorConfig, type SourceConfig } from '../config/load.js';
import { checkConfigSize, documentToJS } from '../config/limits.js';

/**
 * The YAML file stays the source of truth: changes made in the web app are applied to the parsed
 * Document (so comments and key order survive), validated as a whole with the one config loader,
 * and written back atomically (temp file, fsync, rename). Writes are serialised in this process.
 */
export class ConfigStore {
  readonly file: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.file = resolve(file);
  }

  /** The validated config as it is on disk now. */
  read(): CollectorConfig {
    return parseConfig(documentToJS(this.#document(), this.file), this.file);
  }

  sources(): SourceConfig[] {
    return this.read().sources;
  }

  /** A source exactly as written in the YAML (no defaults filled in), to edit without bloating the file. */
  rawSource(name: string): Record<string, unknown> | null {
    const list = (documentToJS(this.#document(), this.file) as { sources?: unknown[] } | null)?.sources ?? [];
    const found = list.find((s) => s && typeof s === 'object' && (s as { name?: unknown }).name === name);
    return (found as Record<string, unknown> | undefined) ?? null;
  }

  /**
   * Adds a source, or replaces the one called `previousName` (renames allowed). Keys of an existing
   * entry keep their comments; keys absent from `source` are removed. Returns the new config.
   */
  upsertSource(source: Record<string, unknown>, previousName?: string): Promise<CollectorConfig> {
    return this.#mutate((doc) => {
      const seq = sourcesSeq(doc);
      const name = String(source.name ?? '');
      const clash = findSource(seq, name);
      const target = previousName === undefined ? -1 : findSource(seq, previousName);
      if (previousName !== undefined && target < 0) {
        throw new UserError(`there is no source called ${previousName} (any more).`, {
          fix: 'Reload the Sources page; someone may have removed or renamed it.',
          code: 'SOURCE_UNKNOWN',
        });
      }
      if (clash >= 0 && clash !== target) {
        throw new UserError(`a source called ${name} already exists.`, {
          fix: 'Choose another name, or edit the existing source.',
          code: 'SOURCE_EXISTS',
        });
      }
      if (target < 0) {
        seq.items.push(doc.createNode(source));
        return;
      }
      const item = seq.items[target];
      if (!isMap(item)) {
        seq.items[target] = doc.createNode(source);
        return;
      }
      for (const key of Object.keys(item.toJSON() as object)) if (!(key in source)) item.delete(key);
      for (const [key, value] of Object.entries(source)) {
        const current = item.get(key, true);
        if (
          current !== undefined &&
          JSON.stringify((current as { toJSON?: () => unknown }).toJSON?.() ?? current) === JSON.stringify(value)
        )
          continue;
        item.set(key, doc.createNode(value));
      }
    });
  }

  /** Sets one setting (e.g. ['redis', 'url']) keeping the rest of the file and its comments. */
  setIn(path: string[], value: unknown): Promise<CollectorConfig> {
    return this.#mutate((doc) => {
      doc.setIn(path, doc.createNode(value));
    });
  }

  removeSource(name: string): Promise<CollectorConfig> {
    return this.#mutate((doc) => {
      const seq = sourcesSeq(doc);
      const i = findSource(seq, name);
      if (i < 0) throw new UserError(`there is no source called ${name}.`, { fix: 'Reload the Sources page.', code: 'SOURCE_UNKNOWN' });
      seq.items.splice(i, 1);
    });
  }

  #document(): Document {
    let text: string;
    try {
      checkConfigSize(this.file);
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if (err instanceof UserError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') text = '';
      else
        throw new UserError(`cannot read the config file ${this.file} (${(err as NodeJS.ErrnoException).code ?? err}).`, {
          fix: 'Make it readable by the service user.',
        });
    }
    const doc = parseDocument(text);
    if (doc.errors.length > 0) {
      throw new UserError(`${this.file}: not valid YAML: ${doc.errors[0]?.message.split('\n')[0]}`, {
        fix: 'Fix the YAML by hand at the line shown, then retry.',
        code: 'CONFIG_YAML',
      });
    }
    if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
    return doc;
  }

  #mutate(change: (doc: Document) => void): Promise<CollectorConfig> {
    const run = async () => {
      const doc = this.#document();
      change(doc);
      // Validate the whole result before anything touches the disk.
      const config = parseConfig(documentToJS(doc, this.file), this.file);
      writeFileAtomically(this.file, doc.toString({ lineWidth: 0 }));
      return config;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function sourcesSeq(doc: Document): YAMLSeq {
  let seq = doc.get('sources', true);
  if (!isSeq(seq)) {
    seq = doc.createNode([]) as YAMLSeq;
    doc.set('sources', seq);
  }
  return seq as YAMLSeq;
}

function findSource(seq: YAMLSeq, name: string): number {
  return seq.items.findIndex((item) => isMap(item) && String(item.get('name')) === name);
}
