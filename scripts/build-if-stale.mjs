// `npm start` runs the compiled JavaScript (dist/), as the Docker image does; this `prestart` step
// compiles first when dist/ is missing or older than the sources, so a fresh clone needs no extra
// command. Plain JavaScript on purpose: it runs before anything is compiled. In the production image
// there is no src/, so there is nothing to check and it returns at once. The compile is build.mjs's
// (what `npm run build` runs), called in this process: a second npm would cost a second or two on a
// busy machine for nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildState } from './stale.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

if (!existsSync(join(root, 'src'))) process.exit(0);
const { built, fresh } = buildState(root);
// `--check`: say whether a build is due (exit 0 fresh, 3 stale) without building.
if (process.argv.includes('--check')) {
  process.stdout.write(fresh ? 'fresh\n' : 'stale\n');
  process.exit(fresh ? 0 : 3);
}
if (fresh) process.exit(0);

const { build, sourceFiles, tryItFiles } = await import('./build.mjs');
process.stderr.write(
  `${built ? 'Sources changed since the last build' : 'First start'}: compiling the bot's ${sourceFiles(root).files.length} TypeScript files and the sandbox's ${tryItFiles(root).length} into dist/ (esbuild; npm run typecheck checks the types)…\n`,
);
try {
  const done = await build(root);
  process.stderr.write(`Compiled ${done.files} files in ${done.seconds.toFixed(1)} s.\n`);
} catch {
  // esbuild has printed each error with its file and line.
  process.stderr.write('The build failed (see above); the bot was not started.\n');
  process.exit(1);
}
