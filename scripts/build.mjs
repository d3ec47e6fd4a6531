// `npm run build`: src/ -> dist/, one JavaScript file per TypeScript file, as tsc would lay them out
// (tsconfig.build.json's rootDir, outDir, include and exclude), by esbuild: it only strips the types,
// so 260 files take well under a second where tsc needed about 17 s of CPU. The types are checked by
// `npm run typecheck` (tsc --noEmit, in `npm run check` and CI, with isolatedModules so that every file
// transpiles on its own) and by the Docker image's build stage. Plain JavaScript: it runs before
// anything is compiled. Not a bundle: every `import.meta.url` lookup (drizzle/, dist/sandbox/public)
// resolves from the same place as in src/.
//
// In a clone, the try-it app beside the product is compiled too: sandbox/ -> dist/sandbox/ and doubles/ ->
// dist/doubles/ (`npm start` without Slack credentials runs dist/sandbox/start.js). The sandbox imports the
// product as `../src/x.js`; in dist/ the product sits at dist/x.js, so those specifiers become `../x.js`.
// The Docker image's build stage has neither folder: its dist/ is the product alone.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The try-it app's folders, compiled when present (a clone), absent from the image's build stage. */
const TRY_IT = ['sandbox', 'doubles'];
/** Files copied as they are: the sandbox page's own browser scripts and styles. */
const TRY_IT_ASSETS = ['sandbox/public'];

/** `dir`'s files and those of its folders, as paths from the root with forward slashes. */
function filesUnder(root, dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(root, `${dir}/${entry.name}`) : entry.isFile() ? [`${dir}/${entry.name}`] : [],
  );
}

/** The TypeScript files tsc would emit for tsconfig.build.json, relative to the repository root. */
export function sourceFiles(root) {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
  // Its excludes are `src/**/*.test.ts`-style globs: a suffix each.
  const excluded = config.exclude.map((glob) => glob.replace(/^.*\*/, ''));
  const files = config.include
    .flatMap((dir) => filesUnder(root, dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !excluded.some((suffix) => f.endsWith(suffix)));
  return { files: files.sort(), rootDir: config.compilerOptions.rootDir, outDir: config.compilerOptions.outDir };
}

/** The try-it app's TypeScript files (tests and test support left out), relative to the root; none in the image. */
export function tryItFiles(root) {
  return TRY_IT.filter((dir) => existsSync(join(root, dir)))
    .flatMap((dir) => filesUnder(root, dir))
    .filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test-support.ts'),
    )
    .filter((f) => !f.startsWith('sandbox/public/'))
    .sort();
}

/** `../src/x.js` (the sandbox's import of the product) as it resolves from dist/sandbox/: `../x.js`. */
function pointAtCompiledProduct(root, outDir) {
  for (const file of filesUnder(root, join(outDir, 'sandbox'))) {
    if (!file.endsWith('.js') || file.includes('/public/')) continue;
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    const rewritten = text.replace(/(["'])\.\.\/src\//g, '$1../');
    if (rewritten !== text) writeFileSync(path, rewritten);
  }
}

/** Compiles src/ into dist/ (and, in a clone, sandbox/ and doubles/ beside it) and stamps it. Throws on an esbuild error. */
export async function build(root) {
  const started = performance.now();
  // Loaded here: the production image has no dev dependencies, and never builds.
  const esbuild = await import('esbuild');
  const { files, rootDir, outDir } = sourceFiles(root);
  await esbuild.build({
    ...esbuildOptions(root, outDir),
    entryPoints: files,
    outbase: rootDir,
  });
  const tryIt = tryItFiles(root);
  if (tryIt.length > 0) {
    await esbuild.build({ ...esbuildOptions(root, outDir), entryPoints: tryIt, outbase: '.' });
    pointAtCompiledProduct(root, outDir);
    for (const dir of TRY_IT_ASSETS) cpSync(join(root, dir), join(root, outDir, dir), { recursive: true });
  }
  mkdirSync(join(root, outDir), { recursive: true });
  writeFileSync(join(root, outDir, '.build-stamp'), `${new Date().toISOString()}\n`);
  return { files: files.length + tryIt.length, seconds: (performance.now() - started) / 1000 };
}

function esbuildOptions(root, outDir) {
  return {
    absWorkingDir: root,
    outdir: outDir,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Maps beside the files as tsc wrote them, without the sources (the image has no src/).
    sourcemap: true,
    sourcesContent: false,
    // Class fields and the like follow the project's compiler options.
    tsconfig: 'tsconfig.build.json',
    logLevel: 'error',
  };
}

// Run as `node scripts/build.mjs` (not imported by build-if-stale.mjs); Node names the main module by its real path.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    const done = await build(root);
    process.stderr.write(`Compiled ${done.files} files into dist/ in ${done.seconds.toFixed(1)} s.\n`);
  } catch {
    // esbuild has printed the errors with their file and line.
    process.exit(1);
  }
}
