import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import type { AccessFile } from '../domain/access-file.js';
import type { OutboxLane } from '../domain/outbox.js';
import { watchFile } from '../jobs/file-watch.js';
import type { ProvisionerRegistry } from '../provisioners/port.js';
import { createConfigReload, type ReloadTrigger } from '../services/config-reload.js';
import type { Clock, Metrics } from '../services/ports.js';

/**
 * The running bot's reload of ACCESS_CONFIG: the use case (services/config-reload.ts) on the file system, and
 * the watch on the file's directory that start() begins and stop() ends. SIGHUP reaches `reload` through
 * main.ts.
 */
export function buildConfigReload(input: {
  path: string;
  initial: { text: string; file: AccessFile };
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'configReload'>;
  afterCommit: (lanes?: readonly OutboxLane[]) => void;
  check: (text: string) => AccessFile;
  provisioners: Pick<ProvisionerRegistry, 'warm'>;
  /** Every file that applied, changed catalogue or not (the managers: mapping follows it). */
  onAccepted?: (file: AccessFile) => void;
  /** ACCESS_CONFIG_WATCH: false leaves SIGHUP as the only way in. */
  watch: boolean;
}) {
  const logger = input.logger.child({ component: 'config-reload' });
  const service = createConfigReload({
    db: input.db,
    clock: input.clock,
    logger,
    metrics: input.metrics,
    afterCommit: input.afterCommit,
    path: input.path,
    read: (path) => readFile(path, 'utf8'),
    check: input.check,
    initialText: input.initial.text,
    initialFile: input.initial.file,
    ...(input.onAccepted ? { onAccepted: input.onAccepted } : {}),
    // The targets a reloaded file names start loading their SDKs now, as at start.
    onApplied: (file) =>
      input.provisioners.warm(file.resources.flatMap((r) => (r.provisioner ? [r.provisioner.type] : []))),
  });
  let watcher: { close(): void } | null = null;
  const reload = (trigger: ReloadTrigger) =>
    service.reload(trigger).catch((error: unknown) => {
      logger.error({ err: error, trigger }, 'reloading ACCESS_CONFIG failed');
      input.metrics.configReload('failed');
      return { outcome: 'failed' as const };
    });
  return {
    reload,
    start() {
      if (input.watch) watcher ??= watchFile(input.path, () => void reload('file'), { logger });
    },
    stop() {
      watcher?.close();
      watcher = null;
    },
  };
}
