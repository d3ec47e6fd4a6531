import type { GrantContext, Provisioner, ProvisionResult } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { createAssignmentOps } from './aws-assignments.js';
import { awsSdk, createClientCache, type Clients } from './aws-clients.js';
import { classifyAwsError, errorName } from './aws-errors.js';
import { permissionSetNames, readAwsSettings, validateAwsSettings, type AwsSettings } from './aws-settings.js';

export { awsSdkState } from './aws-clients.js';

export interface AwsProvisionerOptions {
  /** Wait between two status checks of an assignment being created or deleted (default 1000 ms). */
  pollIntervalMs?: number;
  /** Status checks before giving up on this attempt; the outbox retries later (default 30). */
  pollAttempts?: number;
  /** Attempts per AWS call, the SDK's own retry with backoff for throttling and 5xx (default 3). */
  maxAttempts?: number;
  /** Tests only: a wrong clock, to see AWS refuse stale signatures. */
  systemClockOffsetMs?: number;
}

/**
 * AWS IAM Identity Center: a grant is one account assignment (account, permission set, user) per
 * permission set the approver picked, made with CreateAccountAssignment and taken away with
 * DeleteAccountAssignment. Both are asynchronous in AWS, so each is followed until its status says
 * SUCCEEDED or FAILED. AWS keeps no expiry of its own: the bot's expiry job is what ends the access.
 */
export function createAwsProvisioner(opts: AwsProvisionerOptions = {}): Provisioner {
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const pollAttempts = opts.pollAttempts ?? 30;
  const clients = createClientCache(opts);
  const { hasAssignment, assign, unassign } = createAssignmentOps({ pollIntervalMs, pollAttempts });

  /** The permission sets of the grant, by name, each one the resource's settings allow. */
  function permissionSetsOf(ctx: GrantContext, s: AwsSettings): [string, string][] {
    if (ctx.grant.type !== 'cloud')
      throw new PermanentProvisioningError(
        `a ${ctx.grant.type} grant cannot be provisioned on AWS IAM Identity Center`,
      );
    return ctx.grant.roles.map((name) => {
      const arn = s.permissionSets[name];
      if (!arn)
        throw new PermanentProvisioningError(
          `${ctx.resource.name} has no permission set named "${name}" in its settings`,
        );
      return [name, arn];
    });
  }

  const attributeText = (s: AwsSettings) => (s.userAttribute === 'userName' ? 'the user name' : 'the e-mail');

  /** The requester's Identity Center user id, or null when the identity store has no such user. */
  async function findUser(c: Clients, s: AwsSettings, ctx: GrantContext): Promise<string | null> {
    if (!ctx.requesterEmail) {
      throw new PermanentProvisioningError(
        `The requester has no e-mail address in their Slack profile, so no AWS Identity Center user can be found for ${ctx.resource.name}`,
      );
    }
    const input = {
      IdentityStoreId: s.identityStoreId,
      AlternateIdentifier: { UniqueAttribute: { AttributePath: s.userAttribute, AttributeValue: ctx.requesterEmail } },
    };
    try {
      return (await c.identityStore.send(new c.sdk.identityStore.GetUserIdCommand(input))).UserId ?? null;
    } catch (e) {
      if (errorName(e) === 'ResourceNotFoundException') return null;
      throw classifyAwsError(
        e,
        'GetUserId',
        `looking up ${ctx.requesterEmail} in identity store ${s.identityStoreId}`,
        c.redact,
      );
    }
  }

  async function requireUser(c: Clients, s: AwsSettings, ctx: GrantContext): Promise<string> {
    const userId = await findUser(c, s, ctx);
    if (!userId)
      throw new PermanentProvisioningError(
        `No AWS Identity Center user has ${attributeText(s)} ${ctx.requesterEmail} (identity store ${s.identityStoreId}), so nothing was granted on ${ctx.resource.name}`,
      );
    return userId;
  }

  /** Names one account assignment: instance, account, permission set and the person it is for. */
  const assignmentKey = (s: AwsSettings, arn: string, email: string) =>
    `aws:${s.instanceArn}:${s.accountId}:${arn}:${s.userAttribute}=${email.toLowerCase()}`;

  /** The permission sets to look at: from the grant, else from what provision recorded. */
  function targetSets(ctx: GrantContext, s: AwsSettings, state: Record<string, unknown>): string[] {
    const recorded =
      state.permissionSets && typeof state.permissionSets === 'object'
        ? Object.values(state.permissionSets as Record<string, unknown>).filter(
            (v): v is string => typeof v === 'string',
          )
        : [];
    const fromGrant =
      ctx.grant.type === 'cloud'
        ? ctx.grant.roles.flatMap((n) => (s.permissionSets[n] ? [s.permissionSets[n]] : []))
        : [];
    return [...new Set([...fromGrant, ...recorded])];
  }

  /** The user recorded at provisioning (it survives an e-mail change), else looked up again. */
  async function userOf(
    c: Clients,
    s: AwsSettings,
    ctx: GrantContext,
    state: Record<string, unknown>,
  ): Promise<string | null> {
    if (typeof state.userId === 'string' && state.userId !== '') return state.userId;
    if (!ctx.requesterEmail) return null;
    return findUser(c, s, ctx);
  }

  async function provision(ctx: GrantContext): Promise<ProvisionResult> {
    const s = readAwsSettings(ctx.settings);
    const sets = permissionSetsOf(ctx, s);
    const c = await clients(s);
    const userId = await requireUser(c, s, ctx);
    const made: string[] = [];
    try {
      for (const [name, arn] of sets) {
        if (await hasAssignment(c, s, arn, userId)) continue; // a retry, or access the user already had
        await assign(c, s, name, arn, userId);
        made.push(arn);
      }
    } catch (e) {
      // Nothing half-granted: what this attempt added goes again when a later permission set is refused.
      if (e instanceof PermanentProvisioningError)
        for (const arn of made) await unassign(c, s, arn, userId).catch(() => undefined);
      throw e;
    }
    const names = sets.map(([n]) => n);
    const where = s.portalUrl
      ? `Sign in through the AWS access portal, ${s.portalUrl}, and pick`
      : 'In the AWS access portal, pick';
    return {
      state: { instanceArn: s.instanceArn, accountId: s.accountId, userId, permissionSets: Object.fromEntries(sets) },
      instructions: `${where} account ${s.accountId} with ${names.length > 1 ? 'permission set' : 'the permission set'} ${names.join(', ')}.`,
    };
  }

  return {
    type: 'aws',
    warm: awsSdk.warm,
    validateSettings: validateAwsSettings,
    roleChoices: permissionSetNames,
    provision,

    // Identity Center has no expiry of its own: the assignment simply stays until the bot removes it.
    extend: async (_ctx, state) => ({ state }),

    async deprovision(ctx, state, keep) {
      const s = readAwsSettings(ctx.settings);
      const c = await clients(s);
      const userId = await userOf(c, s, ctx, state);
      if (!userId) return; // no such user in the identity store: nothing can be assigned to them
      for (const arn of targetSets(ctx, s, state)) {
        // Another live grant of this person relies on this assignment: it stays (see sharedAccessKeys).
        if (ctx.requesterEmail && keep?.has(assignmentKey(s, arn, ctx.requesterEmail))) continue;
        if (await hasAssignment(c, s, arn, userId)) await unassign(c, s, arn, userId);
      }
    },

    async isPresent(ctx, state) {
      const s = readAwsSettings(ctx.settings);
      const c = await clients(s);
      const userId = await userOf(c, s, ctx, state);
      if (!userId) return false;
      for (const arn of targetSets(ctx, s, state)) if (!(await hasAssignment(c, s, arn, userId))) return false;
      return true;
    },

    // One key per account assignment (permission set): two grants that share only ReadOnly keep ReadOnly
    // while either lasts, and Admin goes with the grant that had it.
    sharedAccessKeys(ctx) {
      if (ctx.grant.type !== 'cloud' || !ctx.requesterEmail) return [];
      let s: AwsSettings;
      try {
        s = readAwsSettings(ctx.settings);
      } catch {
        return [];
      }
      return ctx.grant.roles.map((n) => assignmentKey(s, s.permissionSets[n] ?? n, ctx.requesterEmail!));
    },
  };
}
