import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import type { AccessApp } from '../src/app.js';
import { openDatabase } from '../src/db/client.js';
import { verifyAuditChain } from '../src/services/audit-service.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, forgeClick, replyTo, requestAccess } from './support/journey-steps.js';
import { ACCESS_FILE, PEOPLE } from './support/workspace.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

// support-prod: requesters U0REQ + @support (Sam, Gus), approvers U0APPR + @dba (Dana); Ada and Oscar review it.
const FILE = ACCESS_FILE.replace(
  '    max_duration: 8h\n',
  '    max_duration: 8h\n    review: { every: 90d, reviewers: { users: [U0ADMIN, U0OTHER] } }\n',
);

let h: Harness;
let replica: AccessApp;
let token: string;
beforeAll(async () => {
  h = await startHarness({ accessFile: FILE });
  replica = await h.replica();
  const reply = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', 'apikey create auditor'));
  token = /```(ark_key_[0-9a-z]{10}_[A-Za-z0-9_-]{43})```/.exec(reply.text)![1]!;
});
afterAll(async () => {
  await h?.stop();
});

const reviewsOf = async (flow: string) =>
  (await h.sql`select id, period, status, reviewers from access_reviews where flow_name = ${flow} order by period`) as unknown as {
    id: string;
    period: number;
    status: string;
    reviewers: string[];
  }[];
/** A reviewer's DM about one review (its id is in the message), as Slack holds it now. */
const dmOf = (user: string, reviewId: string) => {
  const m = h.slack.dmsTo(user).find((x) => !x.threadTs && allText(x.blocks).includes(reviewId));
  if (!m) throw new Error(`${user} has no DM about ${reviewId}`);
  return { channel: m.channel, ts: m.ts, message: h.slack.message(m.channel, m.ts)! };
};
const itemOf = async (reviewId: string, userId: string) =>
  (
    await h.sql`select decision, decided_by, outcomes, evidence from access_review_items where review_id = ${reviewId} and user_id = ${userId}`
  )[0]!;
/** Clicks a button of the reviewer's DM and waits for the DM to show the outcome (Bolt acks before the work). */
const click = async (user: string, reviewId: string, action: string, person?: string) => {
  const where = dmOf(user, reviewId);
  const before = allText(where.message.blocks);
  await h.driver.clickButton(user, where, action, person ? { blockId: `accessreview.person.${person}` } : {});
  await until(() => allText(h.slack.message(where.channel, where.ts)!.blocks) !== before, `${action} shown`);
  await h.settle();
};

describe('access reviews of a flow from ACCESS_CONFIG', () => {
  let rev: string;

  it('the first review opens at once, one per period though two replicas run the job: each reviewer gets one DM', async () => {
    await Promise.all([h.app.jobs.reviewsNow(), replica.jobs.reviewsNow()]);
    await h.settle();
    await replica.jobs.drainOutbox();
    const reviews = await reviewsOf('support-prod');
    expect(reviews).toHaveLength(1);
    rev = reviews[0]!.id;
    expect(reviews[0]!.reviewers).toEqual([PEOPLE.admin, PEOPLE.other]);
    for (const reviewer of [PEOPLE.admin, PEOPLE.other]) {
      expect(h.slack.dmsTo(reviewer).filter((m) => allText(m.blocks).includes(rev))).toHaveLength(1);
      const text = allText(dmOf(reviewer, rev).message.blocks);
      expect(text).toContain('Access review: support-prod');
      // Requesters and approvers, direct and through their groups.
      for (const person of [PEOPLE.requester, PEOPLE.approver, PEOPLE.dba, PEOPLE.supporter, PEOPLE.guest])
        expect(text).toContain(`<@${person}>`);
      expect(text).toContain('via <!subteam^S0SUPPORT>');
      expect(text).toContain('approver · via <!subteam^S0DBTEAM>');
      expect(text).toContain('0 of 5 decided');
    }
    const [opened] = await h.sql`select actor, details from audit_events where action = 'access_review.opened'`;
    expect(opened!.details).toMatchObject({ reviewId: rev, flow: 'support-prod', period: 1, people: 5 });
  });

  it('Keep records the decision with who made it, audited, and every reviewer’s DM shows it', async () => {
    await click(PEOPLE.admin, rev, 'accessreview.keep', PEOPLE.approver);
    expect(await itemOf(rev, PEOPLE.approver)).toMatchObject({ decision: 'keep', decided_by: PEOPLE.admin });
    const oscar = allText(dmOf(PEOPLE.other, rev).message.blocks);
    expect(oscar).toContain(`*Kept* by <@${PEOPLE.admin}>`);
    expect(oscar).toContain('1 of 5 decided');
    expect(oscar).not.toContain(`accessreview.person.${PEOPLE.approver}`);
    const [event] = await h.sql`select actor, details from audit_events where action = 'access_review.decided'`;
    expect(event!.actor).toBe(PEOPLE.admin);
    expect(event!.details).toMatchObject({ reviewId: rev, user: PEOPLE.approver, decision: 'keep' });
  });

  it('a click from someone who is not a reviewer of that review is refused, and nothing changes', async () => {
    const reply = await replyTo(h, () =>
      forgeClick(h, PEOPLE.requester, dmOf(PEOPLE.admin, rev), 'accessreview.remove', `${rev}:0:${PEOPLE.dba}`),
    );
    expect(reply.text).toBe('Only a reviewer of this access review can decide in it.');
    expect(await itemOf(rev, PEOPLE.dba)).toMatchObject({ decision: null });
    // An approver of the flow is not a reviewer either.
    const again = await replyTo(h, () =>
      forgeClick(h, PEOPLE.approver, dmOf(PEOPLE.admin, rev), 'accessreview.keep', `${rev}:0:${PEOPLE.approver}`),
    );
    expect(again.text).toBe('Only a reviewer of this access review can decide in it.');
  });

  it('a conflicting decision on someone already decided is refused; repeating it changes nothing', async () => {
    const reply = await replyTo(h, () =>
      forgeClick(h, PEOPLE.other, dmOf(PEOPLE.other, rev), 'accessreview.remove', `${rev}:0:${PEOPLE.approver}`),
    );
    expect(reply.text).toBe('Someone was already decided in this review. Nothing changed.');
    expect(await itemOf(rev, PEOPLE.approver)).toMatchObject({ decision: 'keep', decided_by: PEOPLE.admin });
  });

  it('Remove of a group member records the finding and tells the admins which group to change', async () => {
    await click(PEOPLE.other, rev, 'accessreview.remove', PEOPLE.supporter);
    expect(await itemOf(rev, PEOPLE.supporter)).toMatchObject({ decision: 'remove', outcomes: ['group_finding'] });
    const told = h.slack.dmsTo(PEOPLE.admin).find((m) => allText(m.blocks).includes('removed <@' + PEOPLE.supporter));
    expect(allText(told!.blocks)).toContain('<!subteam^S0SUPPORT>');
    expect(allText(told!.blocks)).toContain('remove them from that user group in Slack');
    const [flow] = await h.sql`select requester_groups from flows where name = 'support-prod'`;
    expect(flow!.requester_groups).toEqual(['S0SUPPORT']);
  });

  it('Remove of a user named in a file-managed flow: the file is the source of truth, so the admins are told to change it', async () => {
    await click(PEOPLE.other, rev, 'accessreview.remove', PEOPLE.requester);
    expect(await itemOf(rev, PEOPLE.requester)).toMatchObject({ outcomes: ['file_change_needed'] });
    const [flow] = await h.sql`select requester_users from flows where name = 'support-prod'`;
    expect(flow!.requester_users).toEqual([PEOPLE.requester]);
    const told = h.slack.dmsTo(PEOPLE.admin).find((m) => allText(m.blocks).includes('removed <@' + PEOPLE.requester));
    expect(allText(told!.blocks)).toContain('managed by the ACCESS_CONFIG file');
  });

  it('reminds each reviewer a day after opening, once a day, in the thread of their DM', async () => {
    const threadOf = (user: string) => {
      const dm = dmOf(user, rev);
      return h.slack.messagesIn(dm.channel).filter((m) => m.threadTs === dm.ts);
    };
    h.clock.advance(23 * 60);
    await h.app.jobs.reviewsNow();
    await h.settle();
    expect(threadOf(PEOPLE.admin)).toHaveLength(0);
    h.clock.advance(60);
    await Promise.all([h.app.jobs.reviewsNow(), replica.jobs.reviewsNow()]);
    await h.settle();
    await replica.jobs.drainOutbox();
    for (const user of [PEOPLE.admin, PEOPLE.other]) {
      expect(threadOf(user)).toHaveLength(1);
      expect(allText(threadOf(user)[0]!.blocks)).toContain('2 of 5 people');
    }
    await h.app.jobs.reviewsNow();
    await h.settle();
    expect(threadOf(PEOPLE.admin)).toHaveLength(1);
  });

  it('“Keep the rest of this page” completes the review: the DMs lose their buttons, App Home lists it as done', async () => {
    await click(PEOPLE.admin, rev, 'accessreview.keep_page');
    expect((await reviewsOf('support-prod'))[0]!.status).toBe('done');
    for (const user of [PEOPLE.admin, PEOPLE.other]) {
      const text = allText(dmOf(user, rev).message.blocks);
      expect(text).toContain('Review complete');
      expect(text).toContain('3 kept, 2 removed');
      expect(text).not.toContain('accessreview.keep');
    }
    const [done] = await h.sql`select details from audit_events where action = 'access_review.completed'`;
    expect(done!.details).toMatchObject({ reviewId: rev, kept: 3, removed: 2 });
    // No reminders once complete.
    h.clock.advance(2 * 1440);
    await h.app.jobs.reviewsNow();
    await h.settle();
    const dm = dmOf(PEOPLE.admin, rev);
    expect(h.slack.messagesIn(dm.channel).filter((m) => m.threadTs === dm.ts)).toHaveLength(1);
    // A late conflicting click on a finished review is refused.
    const late = await replyTo(h, () =>
      forgeClick(h, PEOPLE.other, dmOf(PEOPLE.other, rev), 'accessreview.remove', `${rev}:0:${PEOPLE.dba}`),
    );
    expect(late.text).toBe('This access review is complete. Nothing changed.');

    await h.driver.appHomeOpened(PEOPLE.other);
    const home = await until(
      () => allText(h.slack.home(PEOPLE.other)?.view.blocks ?? []).includes(rev) && h.slack.home(PEOPLE.other),
      'Oscar’s home lists the review',
    );
    expect(allText(home.view.blocks)).toContain('Access reviews for you');
    expect(allText(home.view.blocks)).toContain('completed');
  });

  it('exports the result as JSON and CSV over the API (API key only) and from the CLI, each decision with its audit hash', async () => {
    const url = `http://127.0.0.1:${h.port}/api/v1/reviews/${rev}`;
    expect((await fetch(url)).status).toBe(401);
    const json = (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
    expect(json.review).toMatchObject({
      id: rev,
      flow: 'support-prod',
      status: 'done',
      kept: 3,
      removed: 2,
      undecided: 0,
    });
    expect(json.people).toHaveLength(5);
    const sam = json.people.find((p: any) => p.user === PEOPLE.supporter);
    expect(sam).toMatchObject({ decision: 'remove', decided_by: PEOPLE.other, groups: ['S0SUPPORT'], direct: false });
    const [event] =
      await h.sql`select id, hash from audit_events where action = 'access_review.decided' and details->>'user' = ${PEOPLE.supporter}`;
    expect([sam.audit_event_id, sam.audit_hash]).toEqual([Number(event!.id), event!.hash]);

    const csvRes = await fetch(`${url}?format=csv`, { headers: { authorization: `Bearer ${token}` } });
    expect(csvRes.headers.get('content-type')).toContain('text/csv');
    const lines = (await csvRes.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'review_id,flow,period_start,due_at,user,roles,direct,groups,requests,approvals_given,sessions,last_grant_at,decision,decided_by,decided_at,outcomes,audit_event_id,audit_hash',
    );
    expect(lines).toHaveLength(6);
    expect(lines.find((l) => l.includes(`,${PEOPLE.requester},`))).toContain(',remove,U0OTHER,');
    expect((await fetch(`${url}x?format=csv`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);

    const cli = await run(process.execPath, ['--import', 'tsx', 'src/cli/audit.ts', 'review', rev, '--format', 'csv'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: h.db.url },
    });
    expect(cli.stdout.trim().split('\n')).toEqual(lines);
    expect(cli.stderr).toContain('5 people, 0 undecided');
  });

  it('the next period opens 90 days after the first was due, once across replicas, with the period’s evidence', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-7: the nightly job failed',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    const [grant] = await h.sql`select id, starts_at from grants where request_id = ${id}`;
    const session = await fetch(`http://127.0.0.1:${h.port}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        user: PEOPLE.requester,
        resource: 'prod-db',
        grant_id: grant!.id,
        started_at: new Date((grant!.starts_at as Date).getTime() + 60_000).toISOString(),
      }),
    });
    expect(session.status).toBeLessThan(300);

    h.clock.advance(86 * 1440); // 89 days after the first review was due: not yet
    await h.app.jobs.reviewsNow();
    expect(await reviewsOf('support-prod')).toHaveLength(1);
    h.clock.advance(1440);
    await Promise.all([h.app.jobs.reviewsNow(), replica.jobs.reviewsNow()]);
    await h.settle();
    await replica.jobs.drainOutbox();
    const reviews = await reviewsOf('support-prod');
    expect(reviews.map((r) => r.period)).toEqual([1, 2]);
    const second = reviews[1]!.id;
    expect((await itemOf(second, PEOPLE.requester)).evidence).toMatchObject({ requests: 1, sessions: 1 });
    expect((await itemOf(second, PEOPLE.requester)).evidence.lastGrantAt).not.toBeNull();
    expect((await itemOf(second, PEOPLE.approver)).evidence).toMatchObject({ approvalsGiven: 1, requests: 0 });
    for (const reviewer of [PEOPLE.admin, PEOPLE.other])
      expect(h.slack.dmsTo(reviewer).filter((m) => !m.threadTs && allText(m.blocks).includes(second))).toHaveLength(1);
    expect(allText(dmOf(PEOPLE.admin, second).message.blocks)).toContain('1 requests · 0 approvals given · 1 sessions');
  });
});

describe('access reviews of a flow made in App Home', () => {
  let flowId: string;
  let rev: string;

  it('an admin gives a flow a review schedule and reviewers in the flow editor; export shows it', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(() => h.slack.home(PEOPLE.admin), 'home');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
    await until(() => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('admin.flow.add'), 'flows tab');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    expect(allText(modal.view.blocks)).toContain('af.review.every');
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'af.name': 'dashboards',
      'af.resources': ['grafana'],
      'af.req.users': ['U0BULK000', 'U0BULK001'],
      'af.appr.users': [PEOPLE.approver],
      'af.max': '60',
      'af.review.every': String(30 * 1440),
      'af.review.users': [PEOPLE.admin],
    });
    expect(res.text).toBe('');
    h.slack.clearViews(PEOPLE.admin);
    const [row] = await h.sql`select id, review, managed_by from flows where name = 'dashboards'`;
    flowId = row!.id as string;
    expect(row!.review).toEqual({ everyMinutes: 43200, reviewerUsers: [PEOPLE.admin], reviewerGroups: [] });
    expect(row!.managed_by).toBe('app');

    const flows = await h.app.services.admin.flows();
    const { exportAccessFile } = await import('../src/services/config-export.js');
    expect(
      exportAccessFile(
        [],
        flows.filter((f) => f.name === 'dashboards'),
      ),
    ).toContain(`review:\n      every: 30d\n      reviewers:\n        users:\n          - ${PEOPLE.admin}`);
  });

  it('Remove of a user named in the flow takes them out (audited), and they can no longer request', async () => {
    h.slack.clearViews('U0BULK000');
    await h.driver.command('U0BULK000', '/access', 'request');
    expect(await until(() => h.slack.topView('U0BULK000'), 'request modal')).toBeTruthy();
    h.slack.clearViews('U0BULK000');

    await h.app.jobs.reviewsNow();
    await h.settle();
    rev = (await reviewsOf('dashboards'))[0]!.id;
    await click(PEOPLE.admin, rev, 'accessreview.remove', 'U0BULK000');
    expect(await itemOf(rev, 'U0BULK000')).toMatchObject({ decision: 'remove', outcomes: ['removed_from_flow'] });
    const [flow] = await h.sql`select requester_users, approver_users from flows where id = ${flowId}`;
    expect(flow).toEqual({ requester_users: ['U0BULK001'], approver_users: [PEOPLE.approver] });
    const [changed] =
      await h.sql`select actor, details from audit_events where action = 'flow.updated' order by id desc limit 1`;
    expect(changed!.actor).toBe(PEOPLE.admin);
    expect(changed!.details).toMatchObject({
      reason: 'access_review',
      reviewId: rev,
      after: { requesterUsers: ['U0BULK001'] },
    });

    const reply = await replyTo(h, () => h.driver.command('U0BULK000', '/access', 'request'));
    expect(reply.text).toContain("There's nothing you can request yet");
  });

  it('a reviewer who is under review is not offered their own row while another reviewer can decide', async () => {
    // Alex approves in this flow; make Alex a reviewer too, beside Ada.
    await h.sql`update flows set review = ${h.sql.json({ everyMinutes: 43200, reviewerUsers: [PEOPLE.admin, PEOPLE.approver], reviewerGroups: [] })} where id = ${flowId}`;
    h.clock.advance(30 * 1440);
    await h.app.jobs.reviewsNow();
    await h.settle();
    const second = (await reviewsOf('dashboards'))[1]!.id;
    const alex = allText(dmOf(PEOPLE.approver, second).message.blocks);
    expect(alex).not.toContain(`accessreview.person.${PEOPLE.approver}`);
    expect(alex).toContain('another reviewer decides about your access');
    const reply = await replyTo(h, () =>
      forgeClick(
        h,
        PEOPLE.approver,
        dmOf(PEOPLE.approver, second),
        'accessreview.keep',
        `${second}:0:${PEOPLE.approver}`,
      ),
    );
    expect(reply.text).toBe('You cannot review your own access: another reviewer of this review decides about you.');
  });

  it('admins see open and past reviews in their Access reviews tab', async () => {
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.reviews');
    const home = await until(
      () =>
        allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('npm run audit -- review') &&
        h.slack.home(PEOPLE.admin),
      'reviews tab',
    );
    const text = allText(home.view.blocks);
    expect(text).toContain(rev);
    expect(text).toContain('open since');
    expect(text).toContain('completed');
  });

  it('the audit chain holding the decisions verifies, and editing one decision breaks it', async () => {
    const database = await openDatabase({ url: h.db.url });
    try {
      expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true });
      const sql = postgres(h.db.url, { onnotice: () => {}, max: 1 });
      await sql.begin(async (tx) => {
        await tx.unsafe('set local session_replication_role = replica');
        await tx.unsafe(
          `update audit_events set details = jsonb_set(details, '{decision}', '"keep"') where action = 'access_review.decided' and details->>'decision' = 'remove'`,
        );
      });
      await sql.end();
      expect(await verifyAuditChain(database.db)).toMatchObject({ ok: false });
    } finally {
      await database.close();
    }
  });
});
