import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { lockCatalogApply, noticeQueuedSince } from '../db/catalog-apply-queries.js';
import type { Db } from '../db/client.js';
import { enqueue } from '../db/outbox-queries.js';
import type { AccessFile } from '../domain/access-file.js';
import { planSummary, type PlanSummary } from '../domain/catalog-plan.js';
import type { OutboxLane } from '../domain/outbox.js';
import { AccessFileError, applyAccessFile } from './catalog-service.js';
import type { Clock, ConfigReloadOutcome, Metrics } from './ports.js';

/**
 * A running bot applying a changed ACCESS_CONFIG, without a restart: on SIGHUP (main.ts) and when the file
 * changes (jobs/file-watch.ts). The file is checked as at start (the same function); a file that does not
 * parse or validate is refused: the running catalogue stays, the problem is logged with the path of the
 * wrong field, and the admins get one DM through the outbox (one for all replicas refusing the same content).
 * A file that validates is applied by applyAccessFile (the plan `npm run config -- plan` prints, executed in
 * one transaction under the apply lock, so concurrent applies from several replicas take turns and the same
 * file applied twice writes nothing the second time), audited as one `catalog.reloaded` event with each
 * change's before and after.
 */
export type ReloadTrigger = 'sighup' | 'file';

export interface ReloadResult {
  outcome: ConfigReloadOutcome | 'same_file';
  changed?: string[];
  summary?: PlanSummary;
  problem?: string;
}

export interface ConfigReloadDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'configReload'>;
  afterCommit: (lanes?: readonly OutboxLane[]) => void;
  path: string;
  read: (path: string) => Promise<string>;
  /** Parses and validates the text exactly as the bot's start does; throws AccessFileError. */
  check: (text: string) => AccessFile;
  /** The text the bot started with (applied at start), and what it held. */
  initialText: string;
  initialFile: AccessFile;
  /** After a file changed the catalogue (the provisioners it names start loading). */
  onApplied?: (file: AccessFile) => void;
  /** After every file that applied, changed catalogue or not: what is read from the file beyond it (the managers: mapping) follows. */
  onAccepted?: (file: AccessFile) => void;
  /** A changed file is read again after this long before it is refused: an editor may still be writing it. */
  settleMs?: number;
}

/** How long the admins' DM about one refused content is not sent again (by any replica). */
const REFUSAL_NOTICE_HOURS = 24;

const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

export function createConfigReload(deps: ConfigReloadDeps) {
  const { logger, path } = deps;
  /** The content this replica last applied or refused: a file event that finds it again has nothing to do. */
  let lastDigest = digestOf(deps.initialText);
  const startedSources = deps.initialFile.group_sources;
  let queue: Promise<unknown> = Promise.resolve();

  function record(outcome: ConfigReloadOutcome, result: Omit<ReloadResult, 'outcome'> = {}): ReloadResult {
    deps.metrics.configReload(outcome);
    return { outcome, ...result };
  }

  /** The file's text once it holds still: an editor or a ConfigMap swap may be half-way when the event comes. */
  async function settled(text: string): Promise<string> {
    for (let tries = 0; tries < 5; tries++) {
      await new Promise((r) => setTimeout(r, deps.settleMs ?? 250));
      const again = await deps.read(path);
      if (again === text) return text;
      text = again;
    }
    return text;
  }

  async function refuse(problem: string, digest: string): Promise<ReloadResult> {
    logger.error({ path, problem }, 'refused the changed ACCESS_CONFIG: the running catalogue stays');
    const now = deps.clock.now();
    await deps.db.transaction(async (tx) => {
      // Under the apply lock, so two replicas refusing at once queue one DM between them.
      await lockCatalogApply(tx);
      const since = new Date(now.getTime() - REFUSAL_NOTICE_HOURS * 3600_000);
      if (await noticeQueuedSince(tx, 'admins.config_refused', digest, since)) return;
      await enqueue(tx, [{ topic: 'admins.config_refused', requestId: null, payload: { path, problem, digest } }]);
    });
    deps.afterCommit(['messages']);
    return record('refused', { problem });
  }

  async function once(trigger: ReloadTrigger): Promise<ReloadResult> {
    let text: string;
    try {
      text = await deps.read(path);
      // A file event (or the safety poll) on content already seen: nothing to do. SIGHUP always applies.
      if (trigger === 'file' && digestOf(text) === lastDigest) return { outcome: 'same_file' };
      if (trigger === 'file') text = await settled(text);
    } catch (error) {
      logger.error({ path, trigger, err: error }, 'could not read ACCESS_CONFIG to reload it');
      return record('failed', { problem: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
    }
    const digest = digestOf(text);
    if (trigger === 'file' && digest === lastDigest) return { outcome: 'same_file' };
    let file: AccessFile;
    try {
      file = deps.check(text);
    } catch (error) {
      if (!(error instanceof AccessFileError)) throw error;
      lastDigest = digest;
      try {
        return await refuse(error.message, digest);
      } catch (noticeError) {
        logger.error({ path, err: noticeError }, 'could not queue the admins’ notice of a refused ACCESS_CONFIG');
        return record('refused', { problem: error.message });
      }
    }
    try {
      const applied = await applyAccessFile(deps.db, deps.clock, file, {
        action: 'catalog.reloaded',
        details: { path, digest, trigger },
      });
      lastDigest = digest;
      if (!isDeepStrictEqual(file.group_sources, startedSources))
        logger.warn({ path }, 'group_sources changed in ACCESS_CONFIG: they take effect when the bot restarts');
      const summary = planSummary(applied.plan);
      logger.info({ path, trigger, changed: applied.changed }, 'reloaded ACCESS_CONFIG');
      deps.onAccepted?.(file);
      if (applied.changed.length > 0) deps.onApplied?.(file);
      return record(applied.changed.length > 0 ? 'applied' : 'unchanged', { changed: applied.changed, summary });
    } catch (error) {
      // lastDigest stays: the next event or SIGHUP tries this content again.
      logger.error(
        { path, trigger, err: error },
        'could not apply the changed ACCESS_CONFIG: the running catalogue stays',
      );
      return record('failed', { problem: (error as Error).message });
    }
  }

  return {
    /** Reads, checks and applies the file now; calls wait their turn, so a burst of events applies in order. */
    reload(trigger: ReloadTrigger): Promise<ReloadResult> {
      const run = queue.then(() => once(trigger));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
