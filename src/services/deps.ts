import type { Db } from '../db/client.js';
import type { OutboxLane } from '../domain/outbox.js';
import type { ProvisionerRegistry } from '../provisioners/port.js';
import type { Secrets } from '../provisioners/secrets.js';
import type {
  AdminRule,
  CatalogReader,
  Clock,
  Directory,
  ManagerDirectory,
  Metrics,
  OnCallDirectory,
  TicketTracker,
} from './ports.js';

/**
 * What the composition root (app.ts) hands every use case: the database the db/ query functions run on,
 * and the ports (ports.ts) that adapters implement.
 */
export interface ServiceDeps {
  db: Db;
  /** Resources and flows, cached and checked against the database's catalogue version on each read. */
  catalog: CatalogReader;
  directory: Directory;
  clock: Clock;
  /** Who the bot's admins are, as the operator said (never Slack alone). */
  admins: AdminRule;
  /** The secrets the operator declared for provisioners (ACCESS_SECRET_*, ACCESS_SECRETS_DIR). */
  secrets: Secrets;
  /**
   * Called after a transaction that queued side effects commits, so they go out now, not at the next
   * poll: every outbox lane, or only those named (whose items were queued).
   */
  afterCommit: (lanes?: readonly OutboxLane[]) => void;
  provisioners: ProvisionerRegistry;
  /** Operational figures; absent: nothing is counted. */
  metrics?: Metrics;
  /** Jira, for flows whose justification must name an open ticket; absent: not configured. */
  tickets?: TicketTracker | null;
  /** PagerDuty / Opsgenie; absent: flows with on-call rules find nobody on call (and say the service was not asked). */
  onCall?: OnCallDirectory;
  /** Where requesters' managers come from (domain/manager.ts); absent: nobody is found, the fallback is asked. */
  managers?: ManagerDirectory;
}
