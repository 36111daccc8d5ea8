import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project folder, found by walking up from this module: the same data files (catalogues,
 * JSON Schemas) are then found whether the code runs from source (tests) or from dist/.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the project folder (package.json) above ' + fileURLToPath(import.meta.url));
}

export const BUILT_IN_VM_SIZES = (): string => join(packageRoot(), 'assessment', 'catalog', 'vm-sizes.json');
export const BUILT_IN_DISK_TIERS = (): string => join(packageRoot(), 'assessment', 'catalog', 'disk-tiers.json');
export const SCHEMA_DIR = (): string => join(packageRoot(), 'schemas');
