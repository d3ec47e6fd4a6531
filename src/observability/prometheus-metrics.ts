import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../db/client.js';
import type { OutboxBacklog } from '../db/outbox-queries.js';
import type { Metrics } from '../services/ports.js';

export interface MetricSources {
  /** The outbox's backlog, read at scrape time (one cheap query). */
  outbox(): Promise<OutboxBacklog>;
  pool(): PoolStats;
}

export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
  slackCall(method: string, outcome: string): void;
}

/** A scrape must answer even when the database does not: the outbox gauges then read NaN. */
const SOURCE_TIMEOUT_MS = 2000;

const MINUTE = 60;
const HOUR = 3600;

/**
 * The Prometheus side of the Metrics port. Each app instance owns its registry (not prom-client's
 * global one), so several instances in one process (tests, replicas in the sandbox) never clash.
 */
export function createPrometheusMetrics(sources: MetricSources): PrometheusMetrics {
  const registry = new Registry();
  // Process and Node.js figures: CPU, memory, GC, handles, nodejs_eventloop_lag_* among them.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: 'access_requests_total',
    help: 'Access requests by flow and event in their life (submitted, approved, denied, auto_approved, break_glass, cancelled, timed_out, expired, revoked, extension_requested, extended).',
    labelNames: ['flow', 'outcome'] as const,
    registers,
  });
  const decision = new Histogram({
    name: 'access_request_decision_seconds',
    help: 'Time from a request being submitted to a person approving or denying it.',
    labelNames: ['flow', 'outcome'] as const,
    buckets: [
      30,
      MINUTE,
      5 * MINUTE,
      15 * MINUTE,
      30 * MINUTE,
      HOUR,
      2 * HOUR,
      4 * HOUR,
      8 * HOUR,
      24 * HOUR,
      72 * HOUR,
    ],
    registers,
  });
  const provisioned = new Histogram({
    name: 'access_grant_provisioning_seconds',
    help: "Time from a grant's approval (or scheduled start) to its access being real in the target.",
    labelNames: ['provisioner'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR],
    registers,
  });
  const attempts = new Counter({
    name: 'access_provisioning_attempts_total',
    help: 'Calls to provisioners, by provisioner type and operation (provision, deprovision, extend).',
    labelNames: ['provisioner', 'operation'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'access_provisioning_failures_total',
    help: 'Provisioner calls that failed; kind transient (retried) or permanent.',
    labelNames: ['provisioner', 'operation', 'kind'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'access_provisioning_retries_total',
    help: 'Provisioner calls that retried a target whose last attempt failed.',
    labelNames: ['provisioner', 'operation'] as const,
    registers,
  });
  const revocationLag = new Histogram({
    name: 'access_revocation_lag_seconds',
    help: "Time from a grant's end (expires_at, or the revocation) to its access being removed from the target.",
    labelNames: ['provisioner'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 6 * HOUR],
    registers,
  });
  const slack = new Counter({
    name: 'access_slack_api_calls_total',
    help: 'HTTP calls to Slack, by Web API method and outcome (ok, or the error: ratelimited, not_in_channel, http_500…).',
    labelNames: ['method', 'outcome'] as const,
    registers,
  });

  // Both outbox gauges are filled by one query per scrape: the registry collects all metrics at once,
  // so the second collect joins the query the first started.
  let backlog: Promise<OutboxBacklog | null> | null = null;
  const readBacklog = () =>
    (backlog ??= withTimeout(sources.outbox(), SOURCE_TIMEOUT_MS)
      .catch(() => null)
      .finally(() => {
        backlog = null;
      }));
  new Gauge({
    name: 'access_outbox_depth',
    help: 'Outbox items not yet delivered: due now, waiting (backing off after a failure, or held for a scheduled start), parked (given up).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const b = await readBacklog();
      for (const state of ['due', 'waiting', 'parked'] as const) this.set({ state }, b ? b[state] : NaN);
    },
  });
  new Gauge({
    name: 'access_outbox_oldest_age_seconds',
    help: 'Age of the oldest outbox item still owed (due, or failed and waiting for its retry); 0 when none.',
    registers,
    async collect() {
      const b = await readBacklog();
      this.set(b ? b.oldestAgeSeconds : NaN);
    },
  });
  new Gauge({
    name: 'access_db_pool_in_use',
    help: 'Database connections busy with a statement or a transaction.',
    registers,
    collect() {
      this.set(sources.pool().inUse);
    },
  });
  new Gauge({
    name: 'access_db_pool_waiting',
    help: 'Statements and transactions waiting for a free database connection.',
    registers,
    collect() {
      this.set(sources.pool().waiting);
    },
  });
  new Counter({
    name: 'access_db_statements_total',
    help: 'Statements sent to the database, BEGIN and COMMIT included.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.pool().statements);
    },
  });
  new Gauge({
    name: 'access_db_pool_max',
    help: 'Database connections the pool may open (10; 2 on the embedded database).',
    registers,
    collect() {
      this.set(sources.pool().max);
    },
  });

  const reloads = new Counter({
    name: 'access_config_reloads_total',
    help: 'A running bot applying a changed ACCESS_CONFIG (SIGHUP or the file changed), by outcome: applied (the catalogue changed), unchanged (it already matched), refused (the file did not parse or validate; the catalogue stayed), failed (the file could not be read or applied).',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Every outcome from the first scrape, so `increase(...{outcome="refused"}[1h]) > 0` alerts without a gap.
  for (const outcome of ['applied', 'unchanged', 'refused', 'failed']) reloads.inc({ outcome }, 0);
  return {
    registry,
    requestOutcome: (flow, outcome) => requests.inc({ flow, outcome }),
    observeDecision: (flow, outcome, seconds) => decision.observe({ flow, outcome }, seconds),
    observeProvisioned: (provisioner, seconds) => provisioned.observe({ provisioner }, seconds),
    provisioningAttempt: (provisioner, operation, result, retry) => {
      attempts.inc({ provisioner, operation });
      if (result !== 'ok')
        failures.inc({ provisioner, operation, kind: result === 'permanent_error' ? 'permanent' : 'transient' });
      if (retry) retries.inc({ provisioner, operation });
    },
    observeRevocationLag: (provisioner, seconds) => revocationLag.observe({ provisioner }, seconds),
    slackCall: (method, outcome) => slack.inc({ method, outcome }),
    configReload: (outcome) => reloads.inc({ outcome }),
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
