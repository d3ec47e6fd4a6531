// `npm run build`: src/ -> dist/, one JavaScript file per TypeScript file, as tsc would lay them out
// (tsconfig.build.json's rootDir, outDir, include and exclude), by esbuild: it only strips the types,
// so 260 files take well under a second where tsc needed about 17 s of CPU. The types are checked by
// `npm run typecheck` (tsc --noEmit, in `npm run check` and CI, with isolatedModules so that every file
// transpiles on its own) and by the Docker image's build stage. Plain JavaScript: it runs before
// anything is compiled. Not a bundle: every `import.meta.url` lookup (drizzle/, examples/, manifest.yml,
// dist/sandbox/public) resolves from the same place as in src/.
import { cpSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Files copied as they are: the sandbox page's own browser scripts and styles. */
const ASSETS = ['sandbox/public'];

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

/** Compiles src/ into dist/ and stamps it; returns what it did. Throws when esbuild reports an error. */
export async function build(root) {
  const started = performance.now();
  // Loaded here: the production image has no dev dependencies, and never builds.
  const esbuild = await import('esbuild');
  const { files, rootDir, outDir } = sourceFiles(root);
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: files,
    outbase: rootDir,
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
  });
  for (const dir of ASSETS) cpSync(join(root, rootDir, dir), join(root, outDir, dir), { recursive: true });
  mkdirSync(join(root, outDir), { recursive: true });
  writeFileSync(join(root, outDir, '.build-stamp'), `${new Date().toISOString()}\n`);
  return { files: files.length, seconds: (performance.now() - started) / 1000 };
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
