import postgres from 'postgres';
import { signWebhookEvent } from '../src/provisioners/webhook/webhook-provisioner.js';
import { WEBHOOK_SECRET } from '../test/support/webhook-target.js';
import { nowMs, requesterIds, startBenchEnv, stats, type BenchEnv } from './environment.js';
import { fmt } from './support.js';

/**
 * Revocation lag: `grants` active grants whose ends are spread over `windowSeconds`, with the expiry job
 * every second (EXPIRY_INTERVAL_SECONDS=1). For each: from its expires_at to the target's receipt of
 * `grant.revoked` (access removed), and to the `grant.deprovisioned` audit row (removal recorded).
 * The grants are seeded straight into the tables (the bench measures ending them, not approving them).
 */
export interface RevocationFigures {
  grants: number;
  windowSeconds: number;
  intervalSeconds: number;
  removed: ReturnType<typeof stats>;
  audited: ReturnType<typeof stats>;
  missing: number;
  floor: ReturnType<typeof stats>;
}

/** Active webhook grants on app-00…app-19 (flow `flowName`), their ends spread over the window; also bench/replicas.ts. */
export async function seedEndingGrants(
  url: string,
  grants: number,
  firstEnd: number,
  windowSeconds: number,
  flowName = 'apps',
) {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    const [flow] = await sql`select id from flows where name = ${flowName}`;
    const users = requesterIds(50);
    const rows = Array.from({ length: grants }, (_, i) => {
      const id = `req_rev${String(i).padStart(6, '0')}`;
      const grantId = `grt_rev${String(i).padStart(6, '0')}`;
      const resource = `app-${String(i % 20).padStart(2, '0')}`;
      const expiresAt = new Date(firstEnd + Math.floor((i * windowSeconds * 1000) / grants));
      const requester = users[i % users.length]!;
      return {
        request: {
          id,
          requester_id: requester,
          flow_id: flow!.id as string,
          flow_name: flowName,
          status: 'active',
          justification: 'bench',
          duration_minutes: 60,
          notified_approvers: sql.json(['U0APPR']),
          created_at: new Date(),
          decided_at: new Date(),
          decided_by: 'U0APPR',
        },
        resource: { request_id: id, position: 0, resource_id: 'bench', name: resource, type: 'generic' },
        grant: {
          id: grantId,
          request_id: id,
          requester_id: requester,
          policy: sql.json({ durationMinutes: 60, resources: [{ type: 'generic', resource }] }),
          approved_by: 'U0APPR',
          status: 'active',
          starts_at: new Date(),
          expires_at: expiresAt,
        },
        target: {
          grant_id: grantId,
          resource_name: resource,
          provisioner: 'webhook',
          status: 'active',
          state: sql.json({}),
        },
      };
    });
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await sql`insert into access_requests ${sql(chunk.map((r) => r.request))}`;
      await sql`insert into request_resources ${sql(chunk.map((r) => r.resource))}`;
      await sql`insert into grants ${sql(chunk.map((r) => r.grant))}`;
      await sql`insert into grant_targets ${sql(chunk.map((r) => r.target))}`;
    }
  } finally {
    await sql.end();
  }
}

/**
 * The floor: a timer set for each end that only POSTs the signed `grant.revoked` webhook, run in this
 * process with no database: timer jitter plus one HTTP call on this loaded machine.
 */
async function floorLags(target: BenchEnv['target'], n: number): Promise<number[]> {
  const first = nowMs() + 500;
  const sent = Array.from({ length: n }, (_, i) => {
    const due = first + i * 10;
    const id = `floor_${i}`;
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        const body = JSON.stringify({
          type: 'grant.revoked',
          data: { grant_id: id, request_id: id, resource: { name: 'floor' } },
        });
        void fetch(target.url, {
          method: 'POST',
          headers: { ...signWebhookEvent(WEBHOOK_SECRET, id, body, new Date()), 'content-type': 'application/json' },
          body,
        }).then(() => resolve());
      }, due - nowMs()),
    ).then(() => ({ id, due }));
  });
  const done = await Promise.all(sent);
  return done.map(({ id, due }) => target.deliveries.find((d) => d.grantId === id)!.at - due);
}

export async function benchRevocation(grants: number, windowSeconds: number): Promise<RevocationFigures> {
  const intervalSeconds = 1;
  const env = await startBenchEnv({ requesters: 50, env: { EXPIRY_INTERVAL_SECONDS: String(intervalSeconds) } });
  const sql = postgres(env.databaseUrl, { onnotice: () => {}, max: 1 });
  try {
    // The first grant ends a few seconds after seeding is done, the last `windowSeconds` later.
    const firstEnd = Date.now() + 5000;
    await seedEndingGrants(env.databaseUrl, grants, firstEnd, windowSeconds);
    const deadline = firstEnd + windowSeconds * 1000 + 60_000;
    for (;;) {
      const [done] = await sql`select count(*)::int as n from audit_events where action = 'grant.deprovisioned'`;
      if (done!.n >= grants || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const ends = new Map(
      (await sql`select id, expires_at from grants`).map((g) => [g.id as string, (g.expires_at as Date).getTime()]),
    );
    const removed = env.target.deliveries
      .filter((d) => d.type === 'grant.revoked' && ends.has(d.grantId))
      .map((d) => d.at - ends.get(d.grantId)!);
    // created_at is the bot's clock at the write, to the microsecond.
    const audited = (
      await sql`select details->>'grantId' as grant, extract(epoch from created_at) * 1000 as at from audit_events where action = 'grant.deprovisioned'`
    ).map((r) => Number(r.at) - ends.get(r.grant as string)!);
    const floor = stats(await floorLags(env.target, 200));
    return {
      grants,
      windowSeconds,
      intervalSeconds,
      removed: stats(removed),
      audited: stats(audited),
      missing: grants - audited.length,
      floor,
    };
  } finally {
    await sql.end();
    await env.stop();
  }
}

export function describeRevocation(f: RevocationFigures): string[] {
  const note = f.missing > 0 ? ` (${f.missing} not removed within a minute after the last end)` : '';
  const floor = `p99 ${fmt(f.floor.p99)} ms (a timer at each end that only POSTs the webhook)`;
  const met = (v: ReturnType<typeof stats>) => (v.p99 < 1000 && f.missing === 0 ? 'met' : 'NOT met');
  return [
    `| Revocation lag, expires_at → access removed (target got \`grant.revoked\`), ${fmt(f.grants, 0)} grants ending within ${f.windowSeconds} s; expiry polls every ${f.intervalSeconds} s and wakes at the next end${note} | p99 ${fmt(f.removed.p99, 0)} ms (p50 ${fmt(f.removed.p50, 0)} ms, max ${fmt(f.removed.max, 0)} ms) | ${floor} | ${fmt(f.removed.p99 / f.floor.p99)}× | p99 < 1 s: ${met(f.removed)} |`,
    `| Revocation lag, expires_at → removal audited (\`grant.deprovisioned\` row), same run | p99 ${fmt(f.audited.p99, 0)} ms (p50 ${fmt(f.audited.p50, 0)} ms, max ${fmt(f.audited.max, 0)} ms) | same | ${fmt(f.audited.p99 / f.floor.p99)}× | p99 < 1 s: ${met(f.audited)} |`,
  ];
}
