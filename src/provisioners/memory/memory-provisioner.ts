import { PermanentProvisioningError, type GrantContext, type Provisioner } from '../port.js';

/**
 * A provisioner that keeps its "target" in memory: for tests of the provisioning lifecycle and for
 * the sandbox. It can be told to fail, transiently or permanently, a given number of times.
 */
export function createMemoryProvisioner(type = 'memory') {
  const present = new Map<string, { ctx: GrantContext; expiresAt: Date }>();
  const calls: { op: 'provision' | 'extend' | 'deprovision'; grantId: string; resource: string }[] = [];
  let failures: { times: number; permanent: boolean; retryAfter?: number } = { times: 0, permanent: false };
  const key = (ctx: GrantContext) => `${ctx.grantId}/${ctx.resource.name}`;
  // `shared: true` in its settings: a per-person target, like an AWS account assignment or a group
  // membership: one object per person, resource and role, whichever grant made it.
  const objects = new Set<string>();
  const isShared = (ctx: GrantContext) => ctx.settings.shared === true;
  const objectKeys = (ctx: GrantContext) =>
    (ctx.grant.type === 'cloud' ? ctx.grant.roles : ['member']).map(
      (role) => `${ctx.requesterId}:${ctx.resource.name}:${role}`,
    );
  const maybeFail = () => {
    if (failures.times <= 0) return;
    failures.times -= 1;
    if (failures.permanent) throw new PermanentProvisioningError('the target refused this grant');
    throw Object.assign(
      new Error('the target is unavailable'),
      failures.retryAfter ? { retryAfter: failures.retryAfter } : {},
    );
  };

  const provisioner: Provisioner = {
    type,
    validateSettings: (settings) => (settings.fail === true ? 'this memory provisioner is configured to refuse' : null),
    // A stand-in cloud target: `roles: [a, b]` in its settings are the roles approvers may grant.
    roleChoices: (settings) => (Array.isArray(settings.roles) ? settings.roles.map(String) : []),
    async provision(ctx) {
      calls.push({ op: 'provision', grantId: ctx.grantId, resource: ctx.resource.name });
      maybeFail();
      if (isShared(ctx)) for (const k of objectKeys(ctx)) objects.add(k);
      else present.set(key(ctx), { ctx, expiresAt: ctx.expiresAt });
      return {
        state: { key: key(ctx) },
        instructions: `Use ${ctx.resource.name} as usual.`,
        secret: { label: 'Token', value: `tok-${ctx.grantId}` },
      };
    },
    async extend(ctx) {
      calls.push({ op: 'extend', grantId: ctx.grantId, resource: ctx.resource.name });
      maybeFail();
      present.set(key(ctx), { ctx, expiresAt: ctx.expiresAt });
      return { state: { key: key(ctx) } };
    },
    async deprovision(ctx, _state, keep) {
      calls.push({ op: 'deprovision', grantId: ctx.grantId, resource: ctx.resource.name });
      maybeFail();
      if (isShared(ctx)) for (const k of objectKeys(ctx).filter((x) => !keep?.has(x))) objects.delete(k);
      else present.delete(key(ctx));
    },
    async isPresent(ctx) {
      return isShared(ctx) ? objectKeys(ctx).every((k) => objects.has(k)) : present.has(key(ctx));
    },
    sharedAccessKeys: (ctx) => (isShared(ctx) ? objectKeys(ctx) : []),
  };
  return {
    provisioner,
    calls,
    has: (grantId: string, resource: string) => present.has(`${grantId}/${resource}`),
    /** Shared mode: does the person hold this object (role, or `member`) in the target? */
    holds: (userId: string, resource: string, role = 'member') => objects.has(`${userId}:${resource}:${role}`),
    /** Shared mode: remove or add an object behind the bot's back (for reconcile). */
    dropObject: (userId: string, resource: string, role = 'member') => objects.delete(`${userId}:${resource}:${role}`),
    plantObject: (userId: string, resource: string, role = 'member') => objects.add(`${userId}:${resource}:${role}`),
    /** Test hook: remove something from the target behind the bot's back (for reconcile). */
    drop: (grantId: string, resource: string) => present.delete(`${grantId}/${resource}`),
    plant: (ctx: GrantContext) => present.set(key(ctx), { ctx, expiresAt: ctx.expiresAt }),
    /** `retryAfter`: the seconds the "target" asks the bot to wait, as a rate-limited API would. */
    failNext(times: number, permanent = false, retryAfter?: number) {
      failures = { times, permanent, ...(retryAfter ? { retryAfter } : {}) };
    },
  };
}

export type MemoryProvisioner = ReturnType<typeof createMemoryProvisioner>;
