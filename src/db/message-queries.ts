/**
 * The Slack messages a request was posted as (slack_messages) and the delivery alerts already raised:
 * what the delivery side reads and writes, apart from the request rows themselves.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { MessageRef } from '../domain/request.js';
import type { Executor } from './client.js';
import { preparedOn } from './prepared.js';
import { deliveryAlerts, slackMessages } from './schema/index.js';

export async function saveMessageRef(db: Executor, ref: MessageRef) {
  await db.insert(slackMessages).values(ref).onConflictDoNothing();
}

/** Records that a message now shows `renderHash`, so a retried refresh does not update it again. */
const renderHashUpdate = (db: Executor) =>
  db
    .update(slackMessages)
    .set({ renderHash: sql`${sql.placeholder('hash')}` })
    .where(and(eq(slackMessages.channel, sql.placeholder('channel')), eq(slackMessages.ts, sql.placeholder('ts'))))
    .prepare('set_render_hash');

export async function setRenderHash(db: Executor, ref: Pick<MessageRef, 'channel' | 'ts'>, renderHash: string) {
  await preparedOn(db, 'set_render_hash', renderHashUpdate).execute({
    hash: renderHash,
    channel: ref.channel,
    ts: ref.ts,
  });
}

/** True the first time a delivery problem is recorded under `key`: admins hear about each one once. */
export async function firstDeliveryAlert(db: Executor, key: string): Promise<boolean> {
  const rows = await db
    .insert(deliveryAlerts)
    .values({ key })
    .onConflictDoNothing()
    .returning({ key: deliveryAlerts.key });
  return rows.length > 0;
}

export async function messageRefs(db: Executor, requestId: string): Promise<MessageRef[]> {
  return db
    .select({
      requestId: slackMessages.requestId,
      role: slackMessages.role,
      userId: slackMessages.userId,
      channel: slackMessages.channel,
      ts: slackMessages.ts,
      renderHash: slackMessages.renderHash,
    })
    .from(slackMessages)
    .where(eq(slackMessages.requestId, requestId))
    .orderBy(asc(slackMessages.id));
}
