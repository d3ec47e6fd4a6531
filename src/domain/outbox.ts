/**
 * The outbox's vocabulary: every side effect a transaction queues, as a topic with its payload. The
 * worker dispatches through one `OutboxHandlers` table, so a topic without a handler fails to compile.
 */

/** What the requester's notice tells them. */
export type NoticeEvent =
  | 'approved'
  | 'denied'
  | 'expired'
  | 'revoked'
  | 'extended'
  | 'timed_out'
  | /** its only approver left Slack */ 'no_approver'
  | /** a group it names left its group source (the grant ended or the request was cancelled) */ 'group_left';

/** Each topic's payload (stored as jsonb). */
export interface OutboxPayloads {
  /** Post the approver and requester messages of a new request. */
  'request.created': Record<string, never>;
  /** Re-render every stored message of the request from its current state. */
  'messages.refresh': Record<string, never>;
  /** The requester's nudge: a thread reply under each approver message. */
  'approvers.nudge': Record<string, never>;
  /** A DM to the requester about what happened to their request. */
  'requester.notify': { event: NoticeEvent };
  /** A reminder in the thread of one approver message. */
  'lifecycle.remind': { channel: string; ts: string };
  /** New approver messages for the escalation approvers. */
  'lifecycle.escalate': {
    users: string[];
    /** The stage escalated (absent: 0); stale once it passed. */ stageIndex?: number;
  };
  /** The requester's "your access ends soon" DM, stale once the grant or its end changed. */
  'lifecycle.end_warning': { grantId: string; expiresAt: string };
  /** Make a grant real in its targets. */
  'grant.provision': { grantId: string };
  /** Take a grant away from its targets. */
  'grant.deprovision': { grantId: string };
  /** Move the end of an extended grant's targets. */
  'grant.extend': { grantId: string };
  /** Tell the other admins that a resource's target or credentials changed (no request). */
  'admins.target_changed': TargetChange;
  /** An access review's DM to one reviewer (services/access-review-jobs.ts). */
  'access_review.post': { reviewId: string; reviewerId: string };
  /** Re-render every reviewer's DM of a review from its current state (after a decision). */
  'access_review.refresh': { reviewId: string };
  /** A reminder in the thread of each reviewer's DM: people are still undecided. */
  'access_review.remind': { reviewId: string };
  /** Tell the admins what a Remove could not do by itself (a group membership, a file-managed flow). */
  'access_review.finding': { reviewId: string; userId: string; actorId: string };
  /** Post the requester's DM about a bundle pick (its parts are the requests pointing at it); updates follow each part's changes. */
  'bundle.post': { bundleRequestId: string };
  /** Tell the admins a running bot refused a changed ACCESS_CONFIG and kept its catalogue (no request). */
  'admins.config_refused': ConfigRefusal;
}

/** A provisioner as the audit trail and the admins see it: type and settings, secrets as references only. */
// Types, not interfaces: payloads are stored as jsonb (Record<string, unknown>), which interfaces do not satisfy.
export type TargetSnapshot = {
  type: string;
  settings: Record<string, unknown>;
};

/** One admin's change to where a resource's grants go and with which credentials. */
export type TargetChange = {
  actorId: string;
  resource: string;
  change: 'created' | 'updated' | 'deleted';
  before: TargetSnapshot | null;
  after: TargetSnapshot | null;
};

/** A changed ACCESS_CONFIG that did not parse or validate: where, the first problem (with its field's path), which content. */
export type ConfigRefusal = {
  path: string;
  problem: string;
  /** sha256 of the file's text: the replicas refusing the same file tell the admins once. */
  digest: string;
};

export type OutboxTopic = keyof OutboxPayloads;

/** A claimed item of one topic. */
export type OutboxItemOf<T extends OutboxTopic> = {
  id: number;
  topic: T;
  requestId: string | null;
  payload: OutboxPayloads[T];
  attempts: number;
};

/** A claimed item: the union over every topic, so `switch (item.topic)` narrows the payload. */
export type OutboxItem = { [T in OutboxTopic]: OutboxItemOf<T> }[OutboxTopic];

type PayloadField<T extends OutboxTopic> =
  Record<string, never> extends OutboxPayloads[T] ? { payload?: OutboxPayloads[T] } : { payload: OutboxPayloads[T] };

/** An item to queue: topic, request and (where the topic has one) payload; `availableAt` holds it back until then. */
export type OutboxEntry = {
  [T in OutboxTopic]: {
    topic: T;
    requestId: T extends AdminTopic ? null : string;
    availableAt?: Date;
  } & PayloadField<T>;
}[OutboxTopic];

/** Topics about the catalogue rather than a request. */
type AdminTopic =
  | 'admins.target_changed'
  | 'admins.config_refused'
  | 'access_review.post'
  | 'access_review.refresh'
  | 'access_review.remind'
  | 'access_review.finding';

/** One handler per topic: the router's table. */
export type OutboxHandlers = { [T in OutboxTopic]: (item: OutboxItemOf<T>) => Promise<void> };

/**
 * Topics whose items a handler can take many at a time (one load and one write for the lot): the answer
 * says, item by item in the order given, whether it is done or failed (and is retried on its own).
 */
export type OutboxBatchHandlers = {
  [T in OutboxTopic]?: (items: OutboxItemOf<T>[]) => Promise<PromiseSettledResult<void>[]>;
};

/** What the worker hands a run of claimed items of one topic to, when that topic takes batches. */
export interface OutboxBatchRouter {
  takes(topic: string): boolean;
  deliver(items: OutboxItem[]): Promise<PromiseSettledResult<void>[]>;
}

/** The batch handlers as the worker uses them; items given to `deliver` are all of one topic it `takes`. */
export function routeOutboxBatches(handlers: OutboxBatchHandlers): OutboxBatchRouter {
  const handlerOf = (topic: string) =>
    isOutboxTopic(topic)
      ? (handlers[topic] as ((items: OutboxItem[]) => Promise<PromiseSettledResult<void>[]>) | undefined)
      : undefined;
  return {
    takes: (topic) => handlerOf(topic) !== undefined,
    deliver: (items) => {
      const handler = items[0] && handlerOf(items[0].topic);
      if (!handler || items.some((i) => i.topic !== items[0]!.topic))
        return Promise.reject(new Error('a batch must hold items of one topic that takes batches'));
      return handler(items);
    },
  };
}

/**
 * Removing access goes before everything else and is never given up: the claim orders it first (a batch
 * of expiries should not wait behind its messages) and the worker retries it (at most every 5 minutes)
 * until it succeeds.
 */
export const URGENT_TOPIC: OutboxTopic = 'grant.deprovision';

/**
 * The outbox runs in three lanes, each claimed and worked by its own loop: `grants` (giving, removing and
 * extending access in the targets), `notices` (a new request's messages to its approvers, and nudges:
 * posts, never updates) and `messages` (everything else, mostly Slack, whose message updates are paced at
 * 50 `chat.update` a minute). A grant never waits behind a paced fan-out of approver message refreshes,
 * and neither does a new request: in a busy workspace its approvers hear of it at once, not after the
 * refreshes queued before it. The requester's notice (one unpaced DM) rides with the grants, queued
 * before them, so "approved" still comes before "your access is ready" or a provisioning problem. A topic
 * this version does not know falls in the messages lane.
 */
export type OutboxLane = 'grants' | 'notices' | 'messages';

export const GRANT_LANE_TOPICS = [
  'grant.provision',
  'grant.deprovision',
  'grant.extend',
  'requester.notify',
] as const satisfies readonly OutboxTopic[];

export const NOTICE_LANE_TOPICS = ['request.created', 'approvers.nudge'] as const satisfies readonly OutboxTopic[];

export const OUTBOX_LANES: readonly OutboxLane[] = ['grants', 'notices', 'messages'];

const TOPICS: readonly OutboxTopic[] = Object.keys({
  'request.created': 1,
  'messages.refresh': 1,
  'approvers.nudge': 1,
  'requester.notify': 1,
  'lifecycle.remind': 1,
  'lifecycle.escalate': 1,
  'lifecycle.end_warning': 1,
  'grant.provision': 1,
  'grant.deprovision': 1,
  'grant.extend': 1,
  'admins.target_changed': 1,
  'access_review.post': 1,
  'access_review.refresh': 1,
  'access_review.remind': 1,
  'access_review.finding': 1,
  'admins.config_refused': 1,
  'bundle.post': 1,
} satisfies Record<OutboxTopic, 1>) as OutboxTopic[];

export const isOutboxTopic = (topic: string): topic is OutboxTopic => (TOPICS as readonly string[]).includes(topic);

/** Hands an item to its topic's handler. A row whose topic this version does not know fails (and is retried). */
export function routeOutbox(handlers: OutboxHandlers): (item: OutboxItem) => Promise<void> {
  return (item) => {
    if (!isOutboxTopic(item.topic)) return Promise.reject(new Error(`unknown outbox topic ${String(item.topic)}`));
    return (handlers[item.topic] as (i: OutboxItem) => Promise<void>)(item);
  };
}
