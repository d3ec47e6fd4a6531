import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { until } from '../doubles/slack/driver.js';
import { createTestDatabase } from './support/database.js';
import { BOT_TOKEN, SIGNING_SECRET, startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, requestAccess, statusOf } from './support/journey-steps.js';
import { waitFor } from '../doubles/support/until.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Socket Mode (SLACK_APP_TOKEN): the bot opens a WebSocket through apps.connections.open and Slack
 * sends every command, click, submission and event as an envelope the bot acks on the socket
 * (platform doc §6). The journey is the HTTP one, unchanged, over that transport.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ socketMode: true });
});
afterAll(async () => {
  await h?.stop();
});

describe('the bot in Socket Mode', () => {
  it('connects with the app-level token and serves no Slack endpoint over HTTP', async () => {
    expect(h.socket!.open).toBe(1);
    expect(h.slack.calls('apps.connections.open').filter((c) => c.ok)).toHaveLength(1);
    const res = await fetch(`http://127.0.0.1:${h.port}/slack/events`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    // Gateways and probes still reach the HTTP server.
    expect((await fetch(`http://127.0.0.1:${h.port}/healthz`)).status).toBe(200);
  });

  let id: string;
  it('request -> approve with tuning -> grant, every step as an envelope acked on the socket', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'SOCK-1: over the socket',
    })) as [string];
    expect(await statusOf(h, id)).toBe('pending');
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain('review.approve');
    const res = await approve(h, PEOPLE.approver, id, { 'tune.duration': '30' });
    expect(res.status).toBe(200);
    expect(await statusOf(h, id)).toBe('active');
    const [grant] = await h.sql`select policy from grants where request_id = ${id}`;
    expect(grant!.policy).toMatchObject({ durationMinutes: 30 });
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain('Approved by');
    expect(new Set(h.socket!.sent.map((e) => e.type))).toEqual(new Set(['slash_commands', 'interactive']));
  });

  it('a view_submission answered with errors comes back in the ack payload', async () => {
    h.slack.clearViews(PEOPLE.requester);
    await h.driver.command(PEOPLE.requester, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    // A start in the past: refused under the field, by the server.
    const past = String(Math.floor(h.clock.now().getTime() / 1000) - 300);
    const res = await h.driver.submitView(PEOPLE.requester, modal.id, {
      'request.resources': ['prod-db'],
      'request.duration': '60',
      'request.justification': 'SOCK-2',
      'request.start': past,
    });
    expect(res.json).toMatchObject({ response_action: 'errors' });
    expect(res.json.errors['request.start']).toContain('in the future');
    expect(h.slack.topView(PEOPLE.requester)?.view.blocks).toEqual(modal.view.blocks);
    h.slack.clearViews(PEOPLE.requester);
  });

  it('App Home opens from an events_api envelope, and /access list answers through response_url', async () => {
    await h.driver.appHomeOpened(PEOPLE.requester);
    await until(
      () => h.slack.calls('views.publish').some((c) => c.ok && c.args.user_id === PEOPLE.requester),
      'the home tab',
    );
    expect(h.socket!.sent.some((e) => e.type === 'events_api')).toBe(true);
    const before = h.slack.responses().length;
    await h.driver.command(PEOPLE.requester, '/access', 'list');
    const reply = await until(() => h.slack.responses()[before], 'the list');
    expect(JSON.stringify(reply.body)).toContain(id);
  });

  it('reconnects when Slack asks it to, and keeps serving', async () => {
    h.socket!.disconnectAll();
    await waitFor(() => h.socket!.connections >= 2 && h.socket!.open === 1, 'a new connection');
    expect(h.slack.calls('apps.connections.open').filter((c) => c.ok).length).toBeGreaterThanOrEqual(2);
    const before = h.slack.responses().length;
    await h.driver.command(PEOPLE.requester, '/access', 'list');
    await until(() => h.slack.responses()[before], 'the list after reconnecting');
  });

  it('a wrong app-level token stops the bot at start-up with one sentence', async () => {
    const db = await createTestDatabase();
    try {
      const config = parseConfig({
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_APP_TOKEN: 'xapp-1-wrong-token',
        SLACK_API_URL: h.slack.apiUrl,
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
      });
      const app = await createAccessApp({ config, logger: createLogger('silent') });
      await expect(app.start()).rejects.toThrow(/SLACK_APP_TOKEN/);
      await app.stop().catch(() => undefined);
    } finally {
      await db.drop();
    }
  });
});
