import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { BOT_TOKEN, SIGNING_SECRET, startHarness, type Harness } from './support/harness.js';
import { approve, approverMessage, requestAccess, statusOf } from './support/journey-steps.js';
import { ACCESS_FILE, PEOPLE, USERS } from './support/workspace.js';
import { startWorkspaceSlack } from './support/workspace-slack.js';

/**
 * GET /metrics as Prometheus scrapes it: the figures an operator alerts on move with what the bot does,
 * Slack's errors show up by method, the endpoint can ask for a token, and no label names a person,
 * a request or a grant.
 */
const memory = createMemoryProvisioner();
const accessFile = `
resources:
  - name: app-one
    type: generic
    tags: [production]
    provisioner: { type: memory }
flows:
  - name: support-prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  await h?.stop();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, the lines that carry samples (`name{a="b"} 1`). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

async function scrape(headers: Record<string, string> = {}, port = h.port) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
  const body = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), body };
}

/** The figures of one scrape: `value(name, labels)` sums every sample matching the labels given. */
async function figures() {
  const { status, body } = await scrape();
  expect(status).toBe(200);
  const samples = parse(body);
  const matching = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    has: (name: string, labels: Record<string, string> = {}) => matching(name, labels).length > 0,
    value: (name: string, labels: Record<string, string> = {}) =>
      matching(name, labels).reduce((sum, s) => sum + s.value, 0),
  };
}

/** Lets the outbox run until it is empty, skipping backoff waits. */
async function deliverEverything() {
  for (let pass = 0; pass < 10; pass++) {
    await h.settle();
    const [left] = await h.sql`select count(*)::int as n from outbox where done_at is null`;
    if (left!.n === 0) return;
    await h.sql`update outbox set available_at = now() where done_at is null`;
  }
  throw new Error('the outbox never emptied');
}

describe('GET /metrics', () => {
  it('is open without METRICS_TOKEN and speaks the Prometheus text format, with process and event-loop figures', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const f = await figures();
    expect(f.has('process_cpu_user_seconds_total')).toBe(true);
    expect(f.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(f.value('access_db_pool_max')).toBe(10);
    // Each scrape reads the outbox backlog from the database: the counter moves by itself.
    expect((await figures()).value('access_db_statements_total')).toBeGreaterThan(
      f.value('access_db_statements_total'),
    );
    expect(f.has('access_db_pool_in_use')).toBe(true);
  });

  it('a request approved, provisioned and expired moves every figure along the way', async () => {
    const before = await figures();
    const postsBefore = h.slack.calls('chat.postMessage').length;
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'MET-1',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    const after = await figures();
    const moved = (name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);

    const flow = { flow: 'support-prod' };
    expect(moved('access_requests_total', { ...flow, outcome: 'submitted' })).toBe(1);
    expect(moved('access_requests_total', { ...flow, outcome: 'approved' })).toBe(1);
    expect(moved('access_requests_total', { ...flow, outcome: 'expired' })).toBe(1);
    expect(moved('access_requests_total', { ...flow, outcome: 'denied' })).toBe(0);
    expect(moved('access_request_decision_seconds_count', { ...flow, outcome: 'approved' })).toBe(1);
    const memoryTarget = { provisioner: 'memory' };
    expect(moved('access_provisioning_attempts_total', { ...memoryTarget, operation: 'provision' })).toBe(1);
    expect(moved('access_provisioning_attempts_total', { ...memoryTarget, operation: 'deprovision' })).toBe(1);
    expect(moved('access_provisioning_failures_total', memoryTarget)).toBe(0);
    expect(moved('access_grant_provisioning_seconds_count', memoryTarget)).toBe(1);
    expect(moved('access_revocation_lag_seconds_count', memoryTarget)).toBe(1);
    // Removed about a minute after expires_at (the clock jumped 61 minutes into a 60-minute grant).
    const lag = moved('access_revocation_lag_seconds_sum', memoryTarget);
    expect(lag).toBeGreaterThanOrEqual(60);
    expect(lag).toBeLessThan(600);
    // Every chat.postMessage Slack saw is counted, and all of them went well.
    const posts = h.slack.calls('chat.postMessage').length - postsBefore;
    expect(posts).toBeGreaterThanOrEqual(3);
    expect(moved('access_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ok' })).toBe(posts);
    expect(moved('access_slack_api_calls_total', { method: 'chat.postMessage' })).toBe(posts);
    // Delivered: nothing owed.
    expect(after.value('access_outbox_depth', { state: 'due' })).toBe(0);
    expect(after.value('access_outbox_oldest_age_seconds')).toBe(0);
  });

  it('a denial counts as denied, with how long it waited for the decision', async () => {
    const before = await figures();
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'MET-2',
    })) as [string];
    h.clock.advance(10);
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id), 'review.deny');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the deny modal');
    await h.driver.submitView(PEOPLE.approver, modal.id, { 'deny.reason': 'not now' });
    h.slack.clearViews(PEOPLE.approver);
    await h.settle();
    expect(await statusOf(h, id)).toBe('denied');
    const after = await figures();
    const labels = { flow: 'support-prod', outcome: 'denied' };
    expect(after.value('access_requests_total', labels) - before.value('access_requests_total', labels)).toBe(1);
    expect(
      after.value('access_request_decision_seconds_count', labels) -
        before.value('access_request_decision_seconds_count', labels),
    ).toBe(1);
    // Ten minutes on the bot's clock: in the 15-minute bucket, not the 5-minute one.
    const bucket = (le: string) =>
      after.value('access_request_decision_seconds_bucket', { ...labels, le }) -
      before.value('access_request_decision_seconds_bucket', { ...labels, le });
    expect(bucket('300')).toBe(0);
    expect(bucket('900')).toBe(1);
  });

  it('Slack errors show up by method and error code, and the outbox gauges show the item owed meanwhile', async () => {
    const before = await figures();
    // The approver DM meets a 429 (WebClient waits out Retry-After and tries again), then an error.
    h.slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 }, 1);
    h.slack.failNext('chat.postMessage', { error: 'not_in_channel' }, 1);
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'MET-3',
    })) as [string];
    const during = await figures();
    const moved = (name: string, labels: Record<string, string>) =>
      during.value(name, labels) - before.value(name, labels);
    expect(moved('access_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ratelimited' })).toBe(1);
    expect(moved('access_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'not_in_channel' })).toBe(1);
    // The failed delivery waits for its retry, and is owed since it was queued.
    expect(during.value('access_outbox_depth', { state: 'waiting' })).toBeGreaterThanOrEqual(1);
    expect(during.value('access_outbox_oldest_age_seconds')).toBeGreaterThan(0);

    await deliverEverything();
    const after = await figures();
    expect(after.value('access_outbox_depth')).toBe(0);
    expect(after.value('access_outbox_oldest_age_seconds')).toBe(0);
    expect(h.slack.dmsTo(PEOPLE.approver).some((m) => JSON.stringify(m.blocks).includes(id))).toBe(true);
  });

  it('provisioning failures and retries are counted by provisioner type', async () => {
    const before = await figures();
    memory.failNext(2);
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'MET-4',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    await deliverEverything();
    const after = await figures();
    const moved = (name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    const provision = { provisioner: 'memory', operation: 'provision' };
    expect(moved('access_provisioning_attempts_total', provision)).toBe(3);
    expect(moved('access_provisioning_failures_total', { ...provision, kind: 'transient' })).toBe(2);
    expect(moved('access_provisioning_retries_total', provision)).toBe(2);
    expect(moved('access_grant_provisioning_seconds_count', { provisioner: 'memory' })).toBe(1);
  });

  it('shows the pool full and work waiting, and still answers when the database does not', async () => {
    // A lock held elsewhere: the bot's statements queue behind it, each holding a pool connection.
    const holder = await h.sql.reserve();
    await holder`select pg_advisory_lock(4242)`;
    // drizzle's queries run when awaited: `.then` sends them.
    const blocked = Array.from({ length: 12 }, () =>
      h.app.database.db.execute(sql`select pg_advisory_xact_lock_shared(4242)`).then(() => undefined),
    );
    try {
      let waiting = 0;
      for (let i = 0; i < 500 && waiting < 10; i++) {
        [{ waiting }] =
          (await h.sql`select count(*)::int as waiting from pg_locks where locktype = 'advisory' and not granted`) as unknown as [
            { waiting: number },
          ];
      }
      expect(waiting).toBe(10);
      const full = await figures();
      expect(full.value('access_db_pool_in_use')).toBe(10);
      expect(full.value('access_db_pool_waiting')).toBeGreaterThanOrEqual(2);
      // The outbox query could not get a connection in time: unknown, not zero.
      expect(full.value('access_outbox_depth', { state: 'due' })).toBeNaN();
      expect(full.value('access_outbox_oldest_age_seconds')).toBeNaN();
    } finally {
      await holder`select pg_advisory_unlock(4242)`;
      holder.release();
      await Promise.all(blocked);
    }
    const after = await figures();
    expect(after.value('access_db_pool_waiting')).toBe(0);
    expect(after.value('access_outbox_depth', { state: 'due' })).toBe(0);
  });

  it('no label value names a person, a request or a grant', async () => {
    const { body } = await scrape();
    const ids = [
      ...USERS.map((u) => u.id),
      ...(await h.sql`select id from access_requests`).map((r) => r.id as string),
      ...(await h.sql`select id from grants`).map((r) => r.id as string),
    ];
    expect(ids.filter((i) => i.startsWith('req_')).length).toBeGreaterThanOrEqual(4);
    for (const id of ids) expect(body).not.toContain(id);
    for (const sample of parse(body)) {
      for (const value of Object.values(sample.labels)) {
        expect(value, `${sample.name} label`).not.toMatch(/\b[UW][A-Z0-9]{4,}\b|req_|grt_/);
      }
    }
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let t: Harness;
  beforeAll(async () => {
    t = await startHarness({
      accessFile,
      env: { METRICS_TOKEN: token },
      app: { extraProvisioners: [createMemoryProvisioner().provisioner] },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('asks for the bearer token: none or a wrong one gets 401, the right one the figures', async () => {
    const none = await scrape({}, t.port);
    expect(none.status).toBe(401);
    expect(none.body).not.toContain('access_requests_total');
    for (const authorization of [
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Basic ${Buffer.from(`x:${token}`).toString('base64')}`,
      token,
      'Bearer ',
    ]) {
      expect((await scrape({ authorization }, t.port)).status, authorization).toBe(401);
    }
    const right = await scrape({ authorization: `Bearer ${token}` }, t.port);
    expect(right.status).toBe(200);
    expect(right.body).toContain('# TYPE access_requests_total counter');
  });
});

describe('GET /metrics on the embedded database', () => {
  it('reports the embedded pool of two connections and reads the outbox backlog there too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'access-metrics-'));
    const slack = await startWorkspaceSlack();
    const config = parseConfig({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DATA_DIR: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    const app = await createAccessApp({ config, logger: createLogger('silent'), accessFileText: ACCESS_FILE });
    try {
      const { port } = await app.start();
      expect(app.database.kind).toBe('embedded');
      const driver = new SlackDriver({
        eventsUrl: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: SIGNING_SECRET,
        slack,
      });
      await driver.command(PEOPLE.requester, '/access', 'request prod-db');
      const modal = await until(() => slack.topView(PEOPLE.requester), 'the request modal');
      await driver.submitView(PEOPLE.requester, modal.id, { 'request.justification': 'embedded metrics' });
      await app.jobs.drainOutbox();
      const samples = parse((await scrape({}, port)).body);
      const value = (name: string, labels: Record<string, string> = {}) =>
        samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
      expect(value('access_db_pool_max')).toBe(2);
      expect(value('access_db_pool_in_use')).toBeLessThanOrEqual(2);
      expect(value('access_outbox_depth', { state: 'due' })).toBe(0);
      expect(value('access_outbox_oldest_age_seconds')).toBe(0);
      expect(value('access_requests_total', { flow: 'support-prod', outcome: 'submitted' })).toBe(1);
      expect(value('access_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ok' })).toBe(
        slack.calls('chat.postMessage').length,
      );
    } finally {
      await app.stop();
      await slack.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
