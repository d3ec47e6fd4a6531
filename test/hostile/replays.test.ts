import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessApp } from '../../src/app.js';
import { SlackDriver, signSlackRequest, until } from '../../doubles/slack/driver.js';
import { stateValuesOf } from '../../doubles/slack/surface.js';
import { SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';
import {
  approve,
  myMessage,
  requestAccess,
  statusOf,
  commandBody as commandBodyOf,
  submissionBody,
} from '../support/journey-steps.js';
import { PEOPLE } from '../support/workspace.js';

/**
 * A request Slack signed once, sent again: with its signature header dressed up (Bolt reads only what
 * follows the first `=`), or to another replica (each remembers only what it saw). Refused at the door
 * where that can be known, and creating nothing new in the database where it cannot.
 */
let h: Harness;
let replica: AccessApp;
let replicaDriver: SlackDriver;
beforeAll(async () => {
  h = await startHarness();
  replica = await h.replica();
  replicaDriver = new SlackDriver({
    eventsUrl: `http://127.0.0.1:${replica.port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    slack: h.slack,
  });
});
afterAll(async () => {
  await h?.stop();
});

const form = 'application/x-www-form-urlencoded';
const now = () => String(Math.floor(Date.now() / 1000));

/** The same signature, as a forger might dress it so that it no longer equals the string first seen. */
function decorated(signature: string): string[] {
  const hex = signature.slice('v0='.length);
  return [
    `${signature}=x`,
    `${signature}=`,
    `v0=${hex.toUpperCase()}`,
    `V0=${hex}`,
    `v0=${hex}, v0=${hex}`,
    `v0= ${hex}`,
    `v0=${hex}0`,
    `v1=${hex}`,
  ];
}

const commandBody = (userId: string, text: string) => commandBodyOf(h, userId, text);

async function replyAfter(before: number): Promise<string> {
  const reply = await until(() => h.slack.responses()[before], 'a reply');
  return String(reply.body.text);
}

describe('a replayed signature in any dress', () => {
  it('a signed `/access apikey create` replayed with a decorated signature header is refused with 401, and one key exists', async () => {
    const body = commandBody(PEOPLE.admin, 'apikey create RPL-K1 gateway');
    const ts = now();
    const signature = signSlackRequest(SIGNING_SECRET, ts, body);
    const before = h.slack.responses().length;
    expect((await h.driver.raw(body, form, { timestamp: ts, signature })).status).toBe(200);
    expect(await replyAfter(before)).toContain('Created API key');
    for (const dressed of decorated(signature)) {
      const res = await h.driver.raw(body, form, { timestamp: ts, signature: dressed });
      expect(res.status, dressed).toBe(401);
    }
    expect((await h.driver.raw(body, form, { timestamp: ts, signature })).status).toBe(401);
    await h.app.jobs.drainOutbox();
    expect(await h.sql`select id from api_keys where name = 'RPL-K1 gateway'`).toHaveLength(1);
  });

  it('the same command replayed on another replica creates no second key, and the admin is told why', async () => {
    const body = commandBody(PEOPLE.admin, 'apikey create RPL-K2 gateway');
    const ts = now();
    let before = h.slack.responses().length;
    expect((await h.driver.raw(body, form, { timestamp: ts })).status).toBe(200);
    expect(await replyAfter(before)).toContain('Created API key');
    before = h.slack.responses().length;
    expect((await replicaDriver.raw(body, form, { timestamp: ts })).status).toBe(200);
    const told = await replyAfter(before);
    expect(told).toContain('with this name moments ago');
    expect(told).toContain('Nothing new was created');
    expect(told).not.toContain('ark_');
    expect(await h.sql`select id from api_keys where name = 'RPL-K2 gateway'`).toHaveLength(1);
  });
});

describe('extensions', () => {
  let id: string;

  /** The extend modal as the requester filled it in, as the signed body Slack would send. */
  async function extensionBody(reason: string) {
    h.slack.clearViews(PEOPLE.requester);
    await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id), 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the extend modal');
    const values = stateValuesOf(modal.blocks, {});
    values['extend.duration']!['extend.duration.select'] = {
      type: 'static_select',
      selected_option: { text: { type: 'plain_text', text: '2 hours' }, value: '120' },
    };
    values['extend.reason']!['extend.reason.input'] = { type: 'plain_text_input', value: reason };
    return submissionBody(h, PEOPLE.requester, modal, values);
  }

  const extensions = async () =>
    (await h.sql`select id from access_requests where extends_request_id = ${id} and kind = 'extension'`).map(
      (r) => r.id as string,
    );

  it('one extension submission, replayed decorated and on another replica, makes exactly one extension request', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'RPL-E1: grant',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');

    const body = await extensionBody('RPL-E1: needs longer');
    const ts = now();
    const signature = signSlackRequest(SIGNING_SECRET, ts, body);
    const first = await h.driver.raw(body, form, { timestamp: ts, signature });
    expect(first.status).toBe(200);
    expect(JSON.stringify(first.json)).toContain('Extension asked');
    for (const dressed of decorated(signature))
      expect((await h.driver.raw(body, form, { timestamp: ts, signature: dressed })).status, dressed).toBe(401);
    // Another replica never saw it: the form's view id makes it the same extension, not a new one.
    const elsewhere = await replicaDriver.raw(body, form, { timestamp: ts, signature });
    expect(elsewhere.status).toBe(200);
    const made = await extensions();
    expect(made).toHaveLength(1);
    expect(JSON.stringify(elsewhere.json)).toContain(made[0]);
  });

  it('a second extension while one waits is refused with a sentence, and nothing is stored', async () => {
    const [waiting] = await extensions();
    const body = await extensionBody('RPL-E2: and a bit more');
    const res = await h.driver.raw(body, form);
    expect(res.status).toBe(200);
    expect(res.json.response_action).toBe('update');
    const shown = JSON.stringify(res.json.view);
    expect(shown).toContain('You already asked to extend this access');
    expect(shown).toContain(waiting);
    expect(await extensions()).toEqual([waiting]);
  });

  it('an extension already approved, its form replayed on another replica, asks for no second one', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'RPL-E3: grant',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    const body = await extensionBody('RPL-E3: needs longer');
    const ts = now();
    expect((await h.driver.raw(body, form, { timestamp: ts })).status).toBe(200);
    await h.settle();
    const [asked] = await extensions();
    await approve(h, PEOPLE.approver, asked!);
    expect(await statusOf(h, asked!)).toBe('approved');
    const grantEnd = async () => (await h.sql`select expires_at from grants where request_id = ${id}`)[0]!.expires_at;
    const extendedEnd = await grantEnd();
    // No extension waits any more, so only the form's own id can tell that this is the same one again.
    const elsewhere = await replicaDriver.raw(body, form, { timestamp: ts });
    expect(elsewhere.status).toBe(200);
    expect(await extensions()).toEqual([asked]);
    expect(JSON.stringify(elsewhere.json)).toContain(asked);
    await h.settle();
    expect(await grantEnd()).toEqual(extendedEnd);
  });
});
