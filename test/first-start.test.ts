import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/bot-process.js';
import { waitFor } from '../doubles/support/until.js';

/**
 * A newcomer's first `npm start`: a checkout with no dist/ and no data compiles (esbuild, file by file),
 * says what it is doing at each step, and serves the sandbox; the next start compiles nothing. How long
 * it takes is a benchmark figure (bench/first-start.ts), not a budget here: the waits are hang guards.
 */
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'access-first-start-'));
const checkout = join(work, 'checkout');
const HANG_GUARD_MS = 240_000;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a clone holds that npm start reads (the working tree's, so uncommitted changes are tested too). */
function copyCheckout() {
  for (const f of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'src',
    'sandbox',
    'doubles',
    'scripts',
    'drizzle',
    'examples',
    'manifest.yml',
  ])
    cpSync(join(root, f), join(checkout, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'));
}

/** `npm start` with no Slack variables until /healthz answers 200; returns everything it printed by then. */
async function npmStart(): Promise<string> {
  const port = await freePort();
  // Its own process group: npm and the bot it starts are stopped together.
  const child = spawn('npm', ['start'], {
    cwd: checkout,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: work, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`npm start exited:\n${output.join('')}`);
        return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200;
      },
      '/healthz after npm start',
      HANG_GUARD_MS,
    );
    return output.join('').replaceAll(String(port), 'PORT');
  } finally {
    const gone = new Promise((r) => (exited ? r(null) : child.once('exit', r)));
    process.kill(-child.pid!, 'SIGKILL');
    await gone;
  }
}

/** The .js files tsc would emit for tsconfig.build.json, relative to dist/. */
function tscOutputs(): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(checkout, 'tsconfig.build.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  return parsed.fileNames.map((f) => relative(join(checkout, 'src'), f).replace(/\.ts$/, '.js')).sort();
}

/** The try-it app's sources (tests left out) as .js paths, where the build puts them under dist/. */
function tryItSources(): string[] {
  return ['sandbox', 'doubles']
    .flatMap((dir) => tsUnder(join(checkout, dir), checkout))
    .filter((f) => !f.endsWith('.test.ts') && !f.startsWith('sandbox/public/'))
    .map((f) => f.replace(/\.ts$/, '.js'))
    .sort();
}

function tsUnder(dir: string, from: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsUnder(join(dir, e.name), from)
      : e.name.endsWith('.ts')
        ? [relative(from, join(dir, e.name))]
        : [],
  );
}

function jsUnder(dir: string, from = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? jsUnder(join(dir, e.name), from)
      : e.name.endsWith('.js')
        ? [relative(from, join(dir, e.name))]
        : [],
  );
}

describe('the first npm start on a fresh checkout', () => {
  it('compiles, says what it is doing step by step, serves the sandbox; the next start compiles nothing', async () => {
    copyCheckout();
    const first = await npmStart();
    const steps = [
      /First start: compiling the bot's (\d+) TypeScript files and the sandbox's (\d+) into dist\//,
      /Compiled (\d+) files in \d+\.\d s/,
      /"msg":"opening the database"/,
      /"ms":\d+,"msg":"database open"/,
      /"ms":\d+,"msg":"migrations applied"/,
      /Open http:\/\/localhost:PORT\/sandbox/,
    ];
    for (const step of steps) expect(first).toMatch(step);
    const at = steps.map((step) => first.search(step));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    const [, product, tryIt] = first.match(steps[0]!)!.map(Number);
    expect(product! + tryIt!).toBe(Number(first.match(steps[1]!)![1]));

    // The product as tsc would emit it, one file per source; beside it the try-it app (sandbox/, doubles/,
    // tests left out) and the sandbox page's own files.
    const dist = join(checkout, 'dist');
    const compiled = jsUnder(dist).filter((f) => !f.startsWith('sandbox/public/'));
    const isTryIt = (f: string) => f.startsWith('sandbox/') || f.startsWith('doubles/');
    expect(compiled.filter((f) => !isTryIt(f)).sort()).toEqual(tscOutputs());
    expect(compiled.filter(isTryIt).sort()).toEqual(tryItSources());
    expect(product).toBe(tscOutputs().length);
    expect(readdirSync(join(dist, 'sandbox/public')).sort()).toEqual(readdirSync(join(root, 'sandbox/public')).sort());

    const second = await npmStart();
    expect(second).not.toMatch(/compiling|Compiled/);
    expect(second).toMatch(steps[5]!);
  }, 600_000);
});
