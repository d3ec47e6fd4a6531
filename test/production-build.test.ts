import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { freePort } from './support/bot-process.js';
import { parse } from 'yaml';
import postgres from 'postgres';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from './support/database.js';
import { HANG_GUARD_MS, waitFor } from '../doubles/support/until.js';
import { BOT_TOKEN, SIGNING_SECRET } from './support/harness.js';
import { ACCESS_FILE, PEOPLE } from './support/workspace.js';
import { startWorkspaceSlack } from './support/workspace-slack.js';

/**
 * The Docker image's steps without a Docker engine: the build stage (`npm run build` on a copy of what
 * the Dockerfile copies), then the runtime stage's layout (package files, compiled dist/, and the
 * runtime COPY lines read from the Dockerfile itself), started with its CMD. The compiled bot must
 * need nothing from dev dependencies, nor from src/, tsx or the repository around it.
 */
const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const buildStage = dockerfile.slice(dockerfile.indexOf(' AS build'), dockerfile.indexOf(' AS runtime'));
/** What the build stage copies from the build context before `npm run build`. */
const buildCopies = [...buildStage.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)].flatMap((m) => m[1]!.split(' '));
const runtimeStage = dockerfile.slice(dockerfile.indexOf(' AS runtime'));
/** `COPY a b ./x` lines of the runtime stage that copy from the build context (not --from=build). */
const runtimeCopies = [...runtimeStage.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)]
  .flatMap((m) => m[1]!.split(' '))
  .filter((f) => !f.startsWith('package'));
const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtimeStage)![1]!) as string[];

const work = mkdtempSync(join(tmpdir(), 'access-image-'));
const build = join(work, 'build');
const app = join(work, 'app');
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Build stage: what the Dockerfile's COPY lines name (package files, tsconfigs, src/…), then npm run build.
  mkdirSync(build);
  for (const f of buildCopies.filter((f) => f !== 'patches'))
    cpSync(join(root, f), join(build, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'));
  await run('npm', ['run', 'build'], { cwd: build, timeout: 2 * HANG_GUARD_MS });
  // Runtime stage.
  mkdirSync(app);
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(app, f));
  cpSync(join(build, 'dist'), join(app, 'dist'), { recursive: true });
  for (const f of runtimeCopies) cpSync(join(root, f), join(app, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  const child = spawn(cmd[0]!, cmd.slice(1), {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  return { child, output };
}

async function healthy(port: number, output: string[]) {
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200,
    '/healthz of the compiled bot',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${output.join('')}`);
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** A Slack double and the credentials of a bot that talks to it, for a start that is not the sandbox. */
async function slackFor(env: Record<string, string>) {
  const slack = await startWorkspaceSlack();
  const withSlack = {
    ...env,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
  };
  return { slack, env: withSlack };
}

const REFUSAL =
  'Cannot start: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set (or --sandbox was given): set them to run the bot. ' +
  'This build has no sandbox; to try the bot without Slack, run `npm start` in a clone of the repository.';

describe('the production image, built and run as its Dockerfile says', () => {
  it('holds the product alone: every compiled file comes from src/, none from the sandbox or a double', () => {
    expect(buildCopies).toContain('src');
    expect(buildCopies.some((f) => /^(sandbox|doubles|test|bench|examples)\b/.test(f))).toBe(false);
    const compiled = filesUnder(join(app, 'dist'))
      .map((f) => f.slice(join(app, 'dist').length + 1))
      .filter((f) => f.endsWith('.js'));
    expect(compiled).toContain('main.js');
    expect(compiled.filter((f) => !existsSync(join(root, 'src', f.replace(/\.js$/, '.ts'))))).toEqual([]);
    // What a clone's build adds beside the product is absent here, file by file and by content.
    expect(compiled.filter((f) => /^(sandbox|doubles)\//.test(f))).toEqual([]);
    const doubleMarks = /FakeSlack|startSandbox|sandbox\/start|doubles\//;
    expect(compiled.filter((f) => doubleMarks.test(readFileSync(join(app, 'dist', f), 'utf8')))).toEqual([]);
    const shipped = runtimeCopies.flatMap((f) => filesUnder(join(app, f)).map((p) => p.slice(app.length + 1)));
    expect(shipped.filter((f) => /(^|\/)(sandbox|doubles|examples)(\/|$)|manifest\.yml$/.test(f))).toEqual([]);
  });

  it('imports only Node built-ins and production dependencies (npm ci --omit=dev is enough)', () => {
    const deps = new Set(
      Object.keys(
        (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
          .dependencies,
      ),
    );
    const builtins = new Set(builtinModules);
    const used = new Set<string>();
    for (const file of filesUnder(join(app, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(
        /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"./][^'"]*)['"]/g,
      )) {
        const spec = m[1]!;
        if (spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) continue;
        used.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((p) => !deps.has(p))).toEqual([]);
  });

  it('npm start runs this compiled JavaScript, no TypeScript loader; a fresh build is not compiled again', async () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.start).toBe('node scripts/start.mjs');
    expect(scripts.start).not.toContain('tsx');
    expect(scripts.prestart).toBe('node scripts/build-if-stale.mjs');
    const check = () =>
      run(process.execPath, ['scripts/build-if-stale.mjs', '--check'], { cwd: build }).then(
        (r) => r.stdout.trim(),
        (e: { stdout: string; code: number }) => `${e.stdout.trim()} (exit ${e.code})`,
      );
    expect(await check()).toBe('fresh');
    // An edited source makes the next npm start compile first.
    const touched = new Date(Date.now() + 5000);
    utimesSync(join(build, 'src', 'config.ts'), touched, touched);
    expect(await check()).toBe('stale (exit 3)');
  });

  it("ships the CLI: the package's bin runs the compiled access-requests from dist/, with nothing to compile", async () => {
    expect(runtimeCopies).toContain('bin');
    expect(dockerfile).toMatch(/^RUN ln -s \/app\/bin\/access-requests\.mjs \/usr\/local\/bin\/access-requests$/m);
    const { stdout, stderr } = await run(process.execPath, ['bin/access-requests.mjs', '--version'], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', HOME: work, NODE_ENV: 'production' },
    });
    expect(stdout).toMatch(/^access-requests \d+\.\d+\.\d+\n$/);
    expect(stderr).toBe('');
  });

  it('npm start in the image (no src/ there) starts the bot at once from dist/, on its embedded database', async () => {
    const port = await freePort();
    const { slack, env } = await slackFor({ PORT: String(port), DATA_DIR: join(work, 'data-npm') });
    // Its own process group: npm's child (node scripts/start.mjs) is stopped with it.
    const child = spawn('npm', ['start', '--silent'], {
      cwd: app,
      detached: true,
      env: { PATH: process.env.PATH ?? '', HOME: work, NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    try {
      await healthy(port, output);
      expect(output.join('')).not.toContain('compiling');
      expect(output.join('')).toContain('"database":"embedded"');
      expect((await fetch(`http://127.0.0.1:${port}/sandbox`)).status).toBe(404);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      await slack.stop();
    }
  });

  it('cannot start the sandbox: without Slack credentials, or with --sandbox, it refuses in one sentence', async () => {
    for (const args of [[], ['--sandbox']]) {
      const child = spawn(cmd[0]!, [...cmd.slice(1), ...args], {
        cwd: app,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: '0', DATA_DIR: join(work, 'data') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += String(c)));
      child.stdout!.on('data', (c: Buffer) => (stdout += String(c)));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(REFUSAL);
      expect(stdout).not.toContain('Sandbox');
    }
  });

  it("runs deploy/kubernetes's migration Job: its command migrates an empty PostgreSQL", async () => {
    const job = parse(readFileSync(join(root, 'deploy/kubernetes/migrate-job.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: Array<{ command: string[] }> } } };
    };
    const [bin, ...args] = job.spec.template.spec.containers[0]!.command;
    const db = await createEmptyDatabase();
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const { stdout } = await run(bin!, args, {
        cwd: app,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', DATABASE_URL: db.url },
        timeout: HANG_GUARD_MS,
      });
      expect(stdout).toContain('Migrations applied (postgres).');
      const journal = JSON.parse(readFileSync(join(root, 'drizzle/meta/_journal.json'), 'utf8')) as {
        entries: unknown[];
      };
      expect((await sql`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]!.n).toBe(
        journal.entries.length,
      );
    } finally {
      await sql.end({ timeout: 5 });
      await db.drop();
    }
  });

  it('serves Slack: a signed /access request opens the request modal, on PostgreSQL', async () => {
    const db: TestDatabase = await createTestDatabase();
    const slack = await startWorkspaceSlack();
    try {
      const port = await freePort();
      writeFileSync(join(work, 'access.yml'), ACCESS_FILE);
      const { output } = start({
        PORT: String(port),
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        DATABASE_URL: db.url,
        ACCESS_CONFIG: join(work, 'access.yml'),
      });
      await healthy(port, output);
      const driver = new SlackDriver({
        eventsUrl: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: SIGNING_SECRET,
        slack,
      });
      const res = await driver.command(PEOPLE.requester, '/access', 'request');
      expect(res.status).toBe(200);
      const modal = await until(() => slack.topView(PEOPLE.requester), 'the request modal');
      expect(JSON.stringify(modal.view)).toContain('prod-db');
      expect(slack.failures()).toEqual([]);
    } finally {
      children.at(-1)?.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      await slack.stop();
      await db.drop();
    }
  });
});
