import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root, found from this file: sandbox/ under tsx, dist/sandbox/ once compiled. The two
 * sit at different depths, so a fixed `../` cannot name examples/ and manifest.yml for both.
 */
export function projectRoot(from: string = import.meta.url): URL {
  let dir = new URL('./', from);
  while (!existsSync(fileURLToPath(new URL('package.json', dir)))) {
    const parent = new URL('../', dir);
    if (parent.href === dir.href) throw new Error(`no package.json above ${fileURLToPath(from)}`);
    dir = parent;
  }
  return dir;
}
