import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import type { RequestDto, RequestableDto } from '../src/domain/request-api.js';
import { cliHome, runCli, startCli, type CliHome, type CliProcess } from './support/cli.js';
import { createTargetDatabase, type TestDatabase } from './support/database.js';
import { startHarness, type Harness } from './support/harness.js';
import { approve, approverMessage, replyTo, statusOf } from './support/journey-steps.js';
import { waitFor } from '../doubles/support/until.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The CLI as a person runs it, its own process, against a running bot (the harness: the Slack double, the
 * bot on a real port, PostgreSQL), with approvals made in Slack through the driver. Each test has its own
 * HOME: the token file and SSH certificates land there.
 */
const keys = mkdtempSync(join(tmpdir(), 'access-cli-keys-'));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'ca')]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rita@laptop', '-f', join(keys, 'rita')]);

const accessFile = `
resources:
  - name: prod-db
    type: database
    tags: [production]
    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_TARGET_DB_ADMIN_URL", host: 127.0.0.1 }
  - name: web-1
    type: ssh
    tags: [production]
    defaults: { login_users: [deploy] }
    provisioner: { type: ssh, ca_key: "env:ACCESS_SECRET_SSH_CA_KEY", host: web-1.internal }
flows:
  - name: support-prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    justification: { required: true, min_length: 10 }
`;

let target: TestDatabase;
let h: Harness;
let url: string;
/** Rita's personal token, made in Slack once. */
let token: string;

beforeAll(async () => {
  target = await createTargetDatabase([[1, 100]]);
  h = await startHarness({
    accessFile,
    app: {
      secretEnv: {
        ACCESS_SECRET_TARGET_DB_ADMIN_URL: target.url,
        ACCESS_SECRET_SSH_CA_KEY: readFileSync(join(keys, 'ca'), 'utf8'),
      },
    },
  });
  url = `http://127.0.0.1:${h.port}`;
  const reply = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token create laptop'));
  token = /(ark_pat_[0-9a-z]{10}_[A-Za-z0-9_-]{43})/.exec(reply.text)![1]!;
});
afterAll(async () => {
  await h?.stop();
  await target?.drop();
  rmSync(keys, { recursive: true, force: true });
});

let home: CliHome;
afterEach(() => home?.remove());

/** A fresh HOME logged in as Rita (the file login writes; the same as `login --token-stdin`). */
async function loggedIn(): Promise<Record<string, string>> {
  home = cliHome();
  const login = await runCli(['login', '--url', url, '--token-stdin'], { env: home.env, stdin: `${token}\n` });
  expect(login.code, login.stderr).toBe(0);
  return home.env;
}

/** Waits until the waiting CLI has said something on stderr (it follows the request by then). */
const said = (cli: CliProcess, text: string) => waitFor(() => cli.stderr().includes(text), `the CLI to say "${text}"`);

const newestRequest = async () =>
  (await h.sql`select id from access_requests order by created_at desc, id desc limit 1`)[0]!.id as string;

async function deny(approver: string, id: string, reason: string) {
  await h.driver.clickButton(approver, approverMessage(h, approver, id), 'review.deny');
  const modal = await until(() => h.slack.topView(approver), 'deny modal');
  await h.driver.submitView(approver, modal.id, { 'deny.reason': reason });
  h.slack.clearViews(approver);
  await h.settle();
}

describe('access-requests against a running bot', () => {
  it('login --token-stdin checks the token, says who you are, and saves it 0600', async () => {
    home = cliHome();
    const login = await runCli(['login', '--url', `${url}/`, '--token-stdin'], { env: home.env, stdin: `${token}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${url} as `);
    expect(login.stdout).toContain(PEOPLE.requester);
    const file = join(home.dir, '.config', 'access-requests', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url, token });
    // A wrong token is refused by the bot and nothing is saved over the good one.
    const bad = await runCli(['login', '--url', url, '--token-stdin'], {
      env: home.env,
      stdin: `${token.slice(0, -4)}AAAA\n`,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${url} refused that token`);
    expect(bad.stderr).toContain('Nothing was saved.');
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe(token);
    // This bot offers no company sign-in: without a terminal to paste into, login says to pipe the token.
    const noTty = await runCli(['login', '--url', url], { env: home.env });
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('No terminal to ask for the token: pipe it with --token-stdin.');
    const device = await runCli(['login', '--url', url, '--method', 'device'], { env: home.env });
    expect(device.code).toBe(1);
    expect(device.stderr).toContain(`${url} does not offer company sign-in for the CLI`);
    const logout = await runCli(['logout'], { env: home.env });
    expect(logout.stdout).toContain(`/access token revoke ${/^ark_(pat_[0-9a-z]{10})_/.exec(token)![1]}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url });
  });

  it('resources lists what Rita may request; --json is the contract', async () => {
    const env = await loggedIn();
    const text = await runCli(['resources'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/prod-db\s+database\s+up to 8h\s+support-prod/);
    const json = JSON.parse((await runCli(['resources', '--json'], { env })).stdout) as RequestableDto[];
    expect(json.map((r) => r.name).sort()).toEqual(['prod-db', 'web-1']);
    expect(json.find((r) => r.name === 'prod-db')).toMatchObject({
      type: 'database',
      flow: 'support-prod',
      max_duration_minutes: 480,
      justification: { required: true, min_length: 10 },
    });
  });

  it('request --wait: approved in Slack, it prints the connection line and exits 0', async () => {
    const env = await loggedIn();
    const cli = startCli(['request', 'prod-db', '--for', '1h', '--why', 'INC-42 restore the orders table', '--wait'], {
      env,
    });
    await said(cli, 'Asked Alex Approver to approve prod-db');
    const id = await newestRequest();
    await h.settle();
    await approve(h, PEOPLE.approver, id);
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('Approved by Alex Approver.');
    expect(done.stderr).toContain('prod-db is ready.');
    expect(done.stdout).toMatch(/^prod-db is ready until \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\n/);
    expect(done.stdout).toContain(`psql "host=127.0.0.1 port=`);
    expect(done.stdout).toMatch(/\n {2}Your password for jit_\w+ is in your Slack DM from the access bot\.\n/);
    expect(await statusOf(h, id)).toBe('active');
    const [row] = await h.sql`select channel from access_requests where id = ${id}`;
    expect(row!.channel).toBe('cli');
  });

  it('request --wait: denied in Slack, it exits 1 with who denied and why', async () => {
    const env = await loggedIn();
    const cli = startCli(['request', 'prod-db', '--for', '2h', '--why', 'INC-43 look at the payments', '--wait'], {
      env,
    });
    await said(cli, 'Asked');
    const id = await newestRequest();
    await h.settle();
    await deny(PEOPLE.approver, id, 'Use the read replica');
    const done = await cli.done;
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('Denied by Alex Approver: Use the read replica');
    expect(done.stdout).toBe('');
  });

  it('--json prints the request as the contract says; status, list and cancel follow it', async () => {
    const env = await loggedIn();
    const made = await runCli(['request', 'prod-db', '--for', '30m', '--why', 'INC-44 check a migration', '--json'], {
      env,
    });
    expect(made.code, made.stderr).toBe(0);
    const [request] = JSON.parse(made.stdout) as RequestDto[];
    expect(request).toMatchObject({
      kind: 'access',
      status: 'pending',
      flow: 'support-prod',
      resources: [{ name: 'prod-db', type: 'database' }],
      duration_minutes: 30,
      justification: 'INC-44 check a migration',
      requester: PEOPLE.requester,
      approvers: [PEOPLE.approver],
      approvals: [],
      approvals_required: 1,
      grant: null,
      channel: 'cli',
      agent: null,
    });
    const id = request!.id;
    const status = JSON.parse((await runCli(['status', id, '--json'], { env })).stdout) as RequestDto;
    expect(status).toMatchObject({ id, status: 'pending' });
    const text = await runCli(['status', id], { env });
    expect(text.stdout).toContain(
      `${id} (prod-db, 30m) is waiting for approval from Alex Approver (0 of 1 approvals).`,
    );
    const list = JSON.parse((await runCli(['list', '--status', 'pending', '--json'], { env })).stdout) as RequestDto[];
    expect(list.map((r) => r.id)).toContain(id);
    expect(list.every((r) => r.status === 'pending')).toBe(true);
    expect((await runCli(['list'], { env })).stdout).toMatch(new RegExp(`${id}\\s+pending\\s+prod-db\\s+30m`));
    const cancel = await runCli(['cancel', id], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toBe(`Cancelled ${id} (prod-db).\n`);
    expect(await statusOf(h, id)).toBe('cancelled');
    // Waiting on a cancelled request says so and exits 1.
    const waited = await runCli(['status', id, '--wait'], { env });
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(`${id} was cancelled; nothing was granted.`);
  });

  it('a refusal by the bot is exit 1 with its sentence per field; an unknown request is one sentence', async () => {
    const env = await loggedIn();
    const short = await runCli(['request', 'prod-db', '--for', '1h', '--why', 'short'], { env });
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('--why: Write at least 10 characters.\n');
    expect(short.stderr).not.toMatch(/\n\s+at /);
    const long = await runCli(['request', 'prod-db', '--for', '2d', '--why', 'INC-45 a long job'], { env });
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/--for: .+/);
    const unknown = await runCli(['status', 'req_nosuchthing'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('extend asks for more time on active access, approved in Slack; release ends it', async () => {
    const env = await loggedIn();
    const made = await runCli(['request', 'prod-db', '--for', '1h', '--why', 'INC-46 the long restore', '--json'], {
      env,
    });
    const id = (JSON.parse(made.stdout) as RequestDto[])[0]!.id;
    await h.settle();
    await approve(h, PEOPLE.approver, id);
    const cli = startCli(['extend', id, '--for', '30m', '--why', 'INC-46 restore still running', '--wait'], { env });
    await said(cli, 'Asked');
    const extension = await newestRequest();
    expect(extension).not.toBe(id);
    await h.settle();
    await approve(h, PEOPLE.approver, extension);
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`${id} was extended by 30m`);
    const released = await runCli(['release', id], { env });
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toContain(`Released ${id}`);
    await waitFor(async () => ['revoked', 'expired'].includes(await statusOf(h, id)), 'the release');
  });

  it('an SSH grant writes the certificate beside the keys (0600) and prints the ssh line', async () => {
    const env = await loggedIn();
    const cli = startCli(
      [
        'request',
        'web-1',
        '--for',
        '2h',
        '--why',
        'INC-47 deploy the hotfix',
        '--ssh-key',
        join(keys, 'rita.pub'),
        '--wait',
      ],
      { env },
    );
    await said(cli, 'Asked');
    const id = await newestRequest();
    await h.settle();
    await approve(h, PEOPLE.approver, id);
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    const certFile = join(home.dir, '.ssh', 'access-requests', `web-1-${id}-cert.pub`);
    expect(statSync(certFile).mode & 0o777).toBe(0o600);
    expect(done.stdout).toContain(`Certificate saved to ${certFile}`);
    expect(done.stdout).toContain(
      `ssh -i ${join(keys, 'rita')} -o CertificateFile=${certFile} deploy@web-1.internal -p 22`,
    );
    const info = execFileSync('ssh-keygen', ['-L', '-f', certFile]).toString();
    expect(info).toContain('Type: ssh-ed25519-cert-v01@openssh.com user certificate');
    expect(info).toContain(`Key ID: "access-request:${id}:${PEOPLE.requester}"`);
    // A private key is refused before anything leaves the machine.
    const priv = await runCli(
      ['request', 'web-1', '--for', '1h', '--why', 'INC-47 again', '--ssh-key', join(keys, 'rita')],
      {
        env,
      },
    );
    expect(priv.code).toBe(2);
    expect(priv.stderr).toContain('is a private key: give its public half');
  });

  it('Ctrl-C stops waiting without cancelling, and says how to follow or cancel', async () => {
    const env = await loggedIn();
    const cli = startCli(['request', 'prod-db', '--for', '1h', '--why', 'INC-48 waiting for nobody', '--wait'], {
      env,
    });
    await said(cli, 'Asked');
    const id = await newestRequest();
    cli.kill('SIGINT');
    const done = await cli.done;
    expect(done.code).toBe(130);
    expect(done.stderr).toContain(
      `Stopped waiting; nothing was cancelled. Follow again with \`access-requests status ${id} --wait\`, or withdraw with \`access-requests cancel ${id}\`.`,
    );
    expect(await statusOf(h, id)).toBe('pending');
  });
});
