import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryContext } from '../src/db/request-details.js';
import { createDelivery } from '../src/services/delivery.js';
import { createSlackMessenger } from '../src/slack/messenger.js';
import { BOT_TOKEN, startHarness, type Harness } from './support/harness.js';
import { allText, approve, myMessage, requestAccess, revoke } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Two replicas may refresh one request's messages at once: one still holds the state it read when the
 * request was approved while the other already drew the revocation. Whichever chat.update lands last is
 * what people see, so the replica that drew a stale state must draw again after its own write.
 */
const accessFile = `
resources:
  - { name: stale-app, type: generic }
flows:
  - name: stale
    resources: { names: [stale-app] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});

describe('a refresh that read the request before it changed', () => {
  it('draws the request again after its own update, so the message ends showing the revocation', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['stale-app'],
      duration: '60',
      justification: 'STALE-1',
    });
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    // The slow replica's read: the request approved and active, its messages not yet redrawn (their hashes still the
    // pending request's, as when it read between the approval's commit and the other replica's refresh).
    const read = await deliveryContext(h.app.database.db, id!);
    expect(read?.status).toBe('active');
    const approved = { ...read!, messages: read!.messages.map((m) => ({ ...m, renderHash: 'pending' })) };

    await revoke(h, PEOPLE.approver, id!);
    expect(allText(myMessage(h, PEOPLE.requester, id!).message.blocks)).toMatch(/[Rr]evoked/);

    // The slow replica's refresh lands only now, after the one that drew the revocation.
    const client = new WebClient(BOT_TOKEN, { slackApiUrl: h.slack.apiUrl });
    const messenger = createSlackMessenger(client, pino({ level: 'silent' }), async () => {});
    const delivery = createDelivery({
      db: h.app.database.db,
      messenger,
      admins: [],
      person: async () => ({ deleted: false, isBot: false }),
    });
    await delivery.refreshUntilCurrent(approved, async () => (await deliveryContext(h.app.database.db, id!)) ?? null);

    const shown = allText(myMessage(h, PEOPLE.requester, id!).message.blocks);
    expect(shown).toMatch(/[Rr]evoked/);
    expect(shown).not.toContain('request.release');
  });
});
