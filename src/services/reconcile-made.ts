import { appendAudit } from '../db/audit-queries.js';
import { requestsWithLiveTargets } from '../db/grant-queries.js';
import type { ServiceDeps } from './deps.js';

/**
 * The second half of reconcile, for provisioners that recognise what they made by its name (the mysql
 * provisioner's `jit_` accounts): every such object whose request holds no live target of that provisioner
 * is removed and audited. This finds what the per-grant reconcile cannot: access whose grant row is gone,
 * or older than the week reconcile looks back, or made for a grant the bot never recorded.
 *
 * Objects are matched to requests, not to resources: two resources on one server list each other's
 * accounts, and an account belongs to whichever of them its request's live target names. Several bots on one
 * server must therefore use different prefixes (docs/provisioners/mysql.md).
 */
export function createReconcileMade(deps: Pick<ServiceDeps, 'db' | 'catalog' | 'clock' | 'secrets' | 'provisioners'>) {
  const { db, clock } = deps;

  return async function removeUnclaimed(): Promise<number> {
    let removed = 0;
    const { resources } = await deps.catalog.snapshot();
    /** Each server (by its resolved settings) is listed once per sweep, whichever resources share it. */
    const listed = new Set<string>();
    for (const resource of resources) {
      const config = resource.provisioner;
      const provisioner = config && deps.provisioners.get(config.type);
      if (!config || !provisioner?.listMade || !provisioner.removeMade) continue;
      try {
        const settings = deps.secrets.resolveSettings(config.settings);
        const key = `${config.type}\u0000${JSON.stringify(settings)}`;
        if (listed.has(key)) continue;
        listed.add(key);
        const made = await provisioner.listMade(settings);
        const live = await requestsWithLiveTargets(
          db,
          config.type,
          made.map((m) => m.requestId),
        );
        for (const object of made) {
          if (live.has(object.requestId)) continue;
          await provisioner.removeMade(settings, object.name);
          await appendAudit(db, {
            requestId: object.requestId,
            actor: 'system',
            action: 'reconcile.leftover_access',
            createdAt: clock.now(),
            details: { resource: resource.name, provisioner: config.type, object: object.name, unrecorded: true },
          });
          removed += 1;
        }
      } catch {
        // The target cannot be asked right now (or a secret is missing); the next reconcile tries again.
      }
    }
    return removed;
  };
}
