import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { FakeSlack } from '../doubles/slack/fake-slack.js';
import { startBotProcess, type BotProcess } from './support/bot-process.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { BOT_TOKEN, SIGNING_SECRET, startHarness, type Harness } from './support/harness.js';
import { allText } from './support/journey-steps.js';
import { HANG_GUARD_MS, waitFor } from '../doubles/support/until.js';
import { PEOPLE } from './support/workspace.js';
import { startWorkspaceSlack } from './support/workspace-slack.js';

// Issue 23 item 5: an admin-written pattern runs on what a requester types. `^([A-Za-z0-9]+\s?)+$` is a
// valid pattern that backtracks exponentially in RegExp; patterns now run on RE2 (linear time), and what RE2
// cannot run (backreferences, lookaround) is refused where it is saved.
const EVIL = '^([A-Za-z0-9]+\\s?)+$';
const accessFile = `
resources:
  - { name: grafana, type: http, tags: [observability] }
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: words-only
    resources: { names: [grafana] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    justification: { pattern: '${EVIL}', hint: 'Use letters, digits and single spaces only.' }
  - name: legacy
    resources: { names: [staging-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    justification: { pattern: '^[a-z]+$' }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});

async function submitRequest(resource: string, justification: string) {
  h.slack.clearViews(PEOPLE.requester);
  await h.driver.command(PEOPLE.requester, '/access', `request ${resource}`);
  const modal = await until(() => h.slack.topView(PEOPLE.requester), 'request modal');
  return h.driver.submitView(PEOPLE.requester, modal.id, {
    'request.resources': [resource],
    'request.duration': '60',
    'request.justification': justification,
  });
}

const requestCount = async () => (await h.sql`select count(*)::int as n from access_requests`)[0]!.n as number;

describe('admin-written justification patterns run in linear time', () => {
  it('an admin saving a flow with a backreference in App Home sees why under the field, and nothing is saved', async () => {
    const auditsBefore = (await h.sql`select count(*)::int as n from audit_events`)[0]!.n as number;
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(() => h.slack.home(PEOPLE.admin), 'home');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
    await until(() => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes('admin.flow.add'), 'flows tab');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    const values = {
      'af.name': 'doubled-words',
      'af.resources': ['grafana'],
      'af.req.users': [PEOPLE.requester],
      'af.appr.users': [PEOPLE.approver],
      'af.max': '240',
    };
    const backreference = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...values,
      'af.just.pattern': '^(\\w+) \\1$',
    });
    expect(backreference.json).toEqual({
      response_action: 'errors',
      errors: {
        'af.just.pattern':
          'Justification pattern: backreferences such as \\1 are not supported (patterns run in linear time).',
      },
    });
    const lookahead = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...values,
      'af.just.pattern': 'OPS-(?=\\d)',
    });
    expect(lookahead.json.errors['af.just.pattern']).toBe(
      'Justification pattern: lookahead and lookbehind such as (?=…) are not supported (patterns run in linear time).',
    );
    expect(await h.sql`select id from flows where name = 'doubled-words'`).toHaveLength(0);
    expect((await h.sql`select count(*)::int as n from audit_events`)[0]!.n).toBe(auditsBefore);
    h.slack.clearViews(PEOPLE.admin);
  });

  it('a pattern stored before RE2 that RE2 refuses fails closed with a sentence, and no request is made', async () => {
    // As a flow saved by an older version would hold it: `(a)\1` is a valid RegExp (it accepts "aa").
    await h.sql`update flows set justification = jsonb_set(justification, '{pattern}', to_jsonb(${'(a)\\1'}::text))
                where name = 'legacy'`;
    const before = await requestCount();
    const res = await submitRequest('staging-db', 'aa');
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: {
        'request.justification':
          "This flow's justification pattern cannot be checked: backreferences such as \\1 are not supported (patterns run in linear time). Ask a bot admin to fix the flow.",
      },
    });
    expect(await requestCount()).toBe(before);
  });
});

describe('a justification that makes the pattern backtrack catastrophically', () => {
  // The bot as its own process: were the pattern run by RegExp, it would stall that process's event loop for
  // good, and a bot in this test's process would stall the test with it (a hang, not a failure).
  let db: TestDatabase;
  let slack: FakeSlack;
  let bot: BotProcess | undefined;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    slack = await startWorkspaceSlack();
    dir = mkdtempSync(join(tmpdir(), 'pattern-bot-'));
    writeFileSync(join(dir, 'access.yml'), accessFile);
    bot = await startBotProcess({
      env: {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        DATABASE_URL: db.url,
        ACCESS_CONFIG: join(dir, 'access.yml'),
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await slack?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets its answer, and the bot keeps serving', async () => {
    const driver = new SlackDriver({ eventsUrl: bot!.eventsUrl, signingSecret: SIGNING_SECRET, slack });
    const submit = async (justification: string) => {
      slack.clearViews(PEOPLE.requester);
      await driver.command(PEOPLE.requester, '/access', 'request grafana');
      const modal = await until(() => slack.topView(PEOPLE.requester), 'request modal');
      let answer: Awaited<ReturnType<typeof driver.submitView>> | Error | undefined;
      driver
        .submitView(PEOPLE.requester, modal.id, {
          'request.resources': ['grafana'],
          'request.duration': '60',
          'request.justification': justification,
        })
        .then(
          (res) => (answer = res),
          (error: Error) => (answer = error),
        );
      await waitFor(() => answer, `the bot's answer to a ${justification.length}-character justification`);
      if (answer instanceof Error) throw answer;
      return answer!;
    };
    // RegExp would take longer than the universe's age on this (27 characters took 16 s); RE2 reads it once.
    const refused = await submit(`${'a'.repeat(1_999)}!`);
    expect(refused.json).toEqual({
      response_action: 'errors',
      errors: { 'request.justification': 'Use letters, digits and single spaces only.' },
    });
    expect((await fetch(`${bot!.url}/healthz`)).status).toBe(200);
    const accepted = await submit(`${'word '.repeat(399)}done`);
    expect(accepted.status).toBe(200);
    expect(accepted.json?.response_action).not.toBe('errors');
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await waitFor(
        async () => (await sql`select id from access_requests where justification like 'word word%'`).length === 1,
        'request saved',
      );
    } finally {
      await sql.end();
    }
    // Hang guards, not budgets: RE2 answers in milliseconds; a backtracking engine would never answer.
  });
});

describe('a catalogue file with a pattern RE2 cannot run', () => {
  it('is refused by `npm run config -- check` with the field and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pattern-'));
    const file = join(dir, 'access.yml');
    writeFileSync(
      file,
      accessFile.replace("'^[a-z]+$'", () => "'^(\\w+) \\1$'"),
    );
    const run = promisify(execFile);
    const res = await run(process.execPath, ['--import', 'tsx', 'src/cli/config.ts', 'check', file], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '' },
      timeout: HANG_GUARD_MS,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `${file}: flows[1].justification.pattern: backreferences such as \\1 are not supported (patterns run in linear time)\n`,
    );
  });
});
