#!/usr/bin/env node
// `access-requests` (package.json "bin"; `npx access-requests …` in a clone): runs the compiled CLI,
// dist/cli/access-requests.js. In a clone it first compiles when dist/ is missing or older than the sources,
// on the same rule as `npm start` (scripts/stale.mjs), so it works right after `npm ci`; the build's notes go
// to stderr, never into the JSON a script reads on stdout. In the Docker image there is no src/: it runs dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));

if (existsSync(join(root, 'src'))) {
  const { buildState } = await import('../scripts/stale.mjs');
  if (!buildState(root).fresh) {
    const { build } = await import('../scripts/build.mjs');
    process.stderr.write('Compiling access-requests (the sources changed since the last build)…\n');
    try {
      await build(root);
    } catch {
      // esbuild has printed each error with its file and line.
      process.stderr.write('The build failed (see above).\n');
      process.exit(1);
    }
  }
}
const { run, processIo } = await import('../dist/cli/access-requests.js');
process.exitCode = await run(process.argv.slice(2), processIo());
