// Whether dist/ is older than what it is compiled from: shared by build-if-stale.mjs (npm start's prestart)
// and the CLI's launcher (bin/access-requests.mjs), so both rebuild on the same rule. Plain JavaScript: it
// runs before anything is compiled.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** `{ built, fresh }`: when dist/ was last built (0: never) and whether no input changed since. */
export function buildState(root) {
  const stamp = join(root, 'dist', '.build-stamp');
  const inputs = [
    join(root, 'src'),
    join(root, 'sandbox'),
    join(root, 'doubles'),
    join(root, 'tsconfig.json'),
    join(root, 'tsconfig.build.json'),
    join(root, 'package-lock.json'),
    join(root, 'scripts', 'build.mjs'),
  ];
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  return { built, fresh: built > 0 && inputs.every((p) => newestMtime(p) <= built) };
}
