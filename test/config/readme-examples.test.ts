import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { ROOT } from '../helpers/cli.js';

// The README's configuration examples are what administrators copy: they must stay valid.
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README configuration examples', () => {
  it('has the examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it('every example validates (source fragments inside a sources: list)', () => {
    for (const text of blocks) {
      const doc = text.trimStart().startsWith('- ') ? parse(`sources:\n${text}`) : parse(text);
      const cfg = parseConfig(doc, 'README example');
      expect(cfg.sources.length).toBeGreaterThan(0);
    }
  });

  it('the Hyper-V example means what the README says', () => {
    const hv = parseConfig(parse(`sources:\n${blocks.find((b) => b.includes('kind: hyperv'))!}`)).sources[0]!;
    expect(hv).toMatchObject({
      kind: 'hyperv',
      cluster: true,
      transport: 'https',
      auth: 'ntlm',
      httpsOnly: false,
      username: 'CORP\\svc-collector',
    });
  });
});
