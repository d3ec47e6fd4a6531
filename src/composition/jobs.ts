import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { nextGrantEnd } from '../db/grant-queries.js';
import { OUTBOX_LANES, type OutboxBatchRouter, type OutboxItem, type OutboxLane } from '../domain/outbox.js';
import { startLoop, type Loop } from '../jobs/loop.js';
import { drainOutbox } from '../jobs/outbox-worker.js';
import { logAuditHead } from '../services/audit-stream.js';
import type { Clock } from '../services/ports.js';
import type { SourceSyncResult } from '../services/group-sync.js';
import type { CaptureCounts } from '../services/session-capture.js';
import type { Services } from './services.js';

/** What the background loops run: each is a use case already built (composition/services.ts, slack.ts). */
export interface JobWork {
  deliver: (item: OutboxItem) => Promise<void>;
  /** Topics handled many items at a time (removals). */
  deliverMany?: OutboxBatchRouter;
  reconcile: () => Promise<unknown>;
  lifecycle: () => Promise<unknown>;
  /** Access reviews: open those due, remind reviewers of open ones. */
  accessReviews: () => Promise<unknown>;
  streamAudit: (() => Promise<number>) | null;
  /** The group sources due (null: ACCESS_CONFIG names none); each source keeps its own interval. */
  groupSync: (() => Promise<SourceSyncResult[]>) | null;
}

/**
 * How often the group-sync loop asks which sources are due: one claim statement per source, the
 * sources' own intervals (1 minute or more, shared by every replica) decide when one really runs.
 */
const GROUP_SYNC_TICK_MS = 30_000;

/**
 * The least time between two expiry passes woken by a grant's end. A pass has a fixed cost (a dozen
 * statements, and the outbox's claims after it); spacing them lets a burst of ends share passes and
 * removal batches, for at most this much more lag (the goal is under a second).
 */
const EXPIRY_PASS_GAP_MS = 100;

/**
 * The background loops, none running until `start`: the outbox, expiry (with a wake-up at the next
 * grant's end), lifecycle steps, the audit head log and stream, reconcile, the offboarding check and
 * session capture. `now` runs one of them at once and waits (tests and the sandbox).
 */
export function buildJobs(input: {
  config: Config;
  logger: Logger;
  clock: Clock;
  database: Database;
  services: Services;
  work: JobWork;
}) {
  const { config, logger, clock, database, services, work } = input;
  const loops: Record<string, Loop | undefined> = {};
  let expiryWake: NodeJS.Timeout | undefined;
  let lastCapture: CaptureCounts | null = null;
  /** Items the outbox lanes have handled: drainAll stops once a pass adds none. */
  let outboxHandled = 0;

  /**
   * The expiry job polls every EXPIRY_INTERVAL_SECONDS; a grant ending before the next poll also gets a
   * wake-up at its end, so access ends on time rather than up to one interval late (npm run bench measured
   * p99 ≈ 1.2 s with a 1 s poll before). The poll stays the source of truth (ADR 0003): the timer is lost
   * on restart, and the next poll finds what it would have ended. Wake-ups come at most every
   * EXPIRY_PASS_GAP_MS: grants ending a few milliseconds apart (hundreds within seconds) are ended a
   * batch at a time rather than a pass each.
   */
  async function expireAndPlan() {
    await services.grants.expireDue();
    const next = await nextGrantEnd(database.db);
    clearTimeout(expiryWake);
    const wait = next ? next.getTime() - clock.now().getTime() : Infinity;
    if (wait < config.EXPIRY_INTERVAL_SECONDS * 1000)
      expiryWake = setTimeout(() => loops.expiry?.kick(), Math.max(wait + 5, EXPIRY_PASS_GAP_MS)).unref();
  }

  async function start() {
    const every = (name: string, run: () => Promise<unknown>, ms: number) =>
      (loops[name] = startLoop(name, run, ms, logger));
    // One loop per lane (domain/outbox.ts, OutboxLane): grants never queue behind paced Slack updates.
    for (const lane of OUTBOX_LANES)
      every(
        `outbox-${lane}`,
        async () =>
          (outboxHandled += await drainOutbox(
            database.db,
            lane,
            work.deliver,
            logger,
            config.OUTBOX_LEASE_SECONDS,
            work.deliverMany,
          )),
        config.OUTBOX_POLL_SECONDS * 1000,
      );
    every('expiry', expireAndPlan, config.EXPIRY_INTERVAL_SECONDS * 1000);
    every('lifecycle', work.lifecycle, config.LIFECYCLE_INTERVAL_SECONDS * 1000);
    // Reviews are due days apart: the lifecycle's pace is plenty, and a start opens what came due meanwhile.
    every('access-reviews', work.accessReviews, config.LIFECYCLE_INTERVAL_SECONDS * 1000).kick();
    await logAuditHead(database.db, logger);
    every('audit-head', () => logAuditHead(database.db, logger), config.AUDIT_HEAD_LOG_SECONDS * 1000);
    if (work.streamAudit) every('audit-stream', work.streamAudit, 5000);
    every('reconcile', work.reconcile, config.RECONCILE_INTERVAL_SECONDS * 1000);
    // Holders of active grants whom Slack deactivated while no user_change reached us (the bot was down).
    every('offboarding', () => services.offboarding.reconcile(), config.RECONCILE_INTERVAL_SECONDS * 1000).kick();
    if (work.groupSync) every('group-sync', () => syncGroups(work.groupSync!), GROUP_SYNC_TICK_MS).kick();
    every(
      'session-capture',
      async () => (lastCapture = await services.capture.captureOnce()),
      config.SESSION_SAMPLE_SECONDS * 1000,
    );
    kickOutbox();
  }

  /** One pass of the due sources, said in the log: what changed, and a failure as its sentence. */
  async function syncGroups(run: () => Promise<SourceSyncResult[]>) {
    for (const r of await run()) {
      if (r.status === 'failed') logger.warn({ source: r.source }, r.message ?? 'group sync failed');
      else if (r.status === 'synced')
        logger.info(
          {
            source: r.source,
            created: r.created,
            updated: r.updated.map((u) => u.name),
            retired: r.retired,
            skipped: r.skipped.length,
            grantsEnded: r.grantsEnded,
          },
          'group source synced',
        );
    }
  }

  const outboxLoops = () => OUTBOX_LANES.map((lane) => loops[`outbox-${lane}`]);
  function kickOutbox(lanes: readonly OutboxLane[] = OUTBOX_LANES) {
    for (const lane of lanes) loops[`outbox-${lane}`]?.kick();
  }

  /**
   * Runs every lane until a pass of all handles nothing: an item of one lane can queue one of the other
   * (a grant provisioned queues the refresh of its messages), and this drains everything, as one lane did.
   */
  async function drainAll() {
    for (;;) {
      const before = outboxHandled;
      await Promise.all(outboxLoops().map((loop) => loop!.runNow()));
      await Promise.all(outboxLoops().map((loop) => loop!.idle()));
      if (outboxHandled === before) return;
    }
  }

  async function stop() {
    for (const loop of outboxLoops()) await loop?.stop();
    clearTimeout(expiryWake);
    for (const name of [
      'expiry',
      'lifecycle',
      'access-reviews',
      'reconcile',
      'offboarding',
      'session-capture',
      'audit-head',
      'audit-stream',
      'group-sync',
    ])
      await loops[name]?.stop();
  }

  return {
    start,
    stop,
    /** After a commit that queued side effects: they go out now, not at the next poll. */
    kickOutbox,
    /** Runs a job now and waits: for tests and the sandbox. */
    now: {
      streamAudit: () => work.streamAudit?.() ?? Promise.resolve(0),
      expireNow: () => loops.expiry!.runNow(),
      /** The periodic check for deactivated holders of active grants, now. */
      offboardNow: () => loops.offboarding!.runNow(),
      /** Reminders, escalation, pending TTL, end warnings and scheduled starts, now (by the app's clock). */
      lifecycleNow: () => loops.lifecycle!.runNow(),
      /** Access reviews due are opened and open ones reminded, now (by the app's clock). */
      reviewsNow: () => loops['access-reviews']!.runNow(),
      /** One session-capture sample now (after any under way); its counts. */
      captureNow: async () => {
        lastCapture = null;
        await loops['session-capture']!.runNow();
        return lastCapture as CaptureCounts | null;
      },
      /** The group sources that are due, now (by the app's clock), as the loop runs them. */
      groupSyncNow: () => loops['group-sync']?.runNow() ?? Promise.resolve(),
      /** Waits for a group-sync pass under way, starting none (it holds its sources' leases while it runs). */
      groupSyncIdle: () => loops['group-sync']?.idle() ?? Promise.resolve(),
      /** Both outbox lanes, until neither has anything due. */
      drainOutbox: drainAll,
    },
  };
}
