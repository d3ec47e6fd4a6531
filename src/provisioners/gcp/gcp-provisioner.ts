import type { GrantContext, Provisioner, ProvisionResult } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { memberFor, readGcpSettings, validateGcpSettings, type GcpSettings } from './gcp-settings.js';
import { createIamClient, warmGcpSdk, type IamBinding } from './iam-client.js';

/**
 * Google Cloud IAM: each granted role becomes a binding of the requester on the project (or folder)
 * with an IAM condition `request.time < timestamp(<grant end>)`, so Google itself stops honouring it
 * at the end even if the bot is down. Every grant has bindings of its own (the condition's title names
 * the grant), so overlapping grants of the same role never cut each other short. Removal takes the
 * grant's bindings out early; extension moves the timestamp.
 */
const TITLE_PREFIX = 'Access Requests grant ';

export const conditionTitle = (grantId: string) => `${TITLE_PREFIX}${grantId}`.slice(0, 100);

/** The end as a CEL timestamp, cut to the second below: never later than the grant's end. */
export function endTimestamp(expiresAt: Date): string {
  return new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function roles(ctx: GrantContext, s: GcpSettings): string[] {
  if (ctx.grant.type !== 'cloud')
    throw new PermanentProvisioningError(`a ${ctx.grant.type} grant cannot be provisioned on Google Cloud`);
  const refused = ctx.grant.roles.filter((r) => !s.roles.includes(r));
  if (refused.length > 0)
    throw new PermanentProvisioningError(
      `${refused.join(', ')} ${refused.length > 1 ? 'are' : 'is'} not among the roles ${ctx.resource.name} allows`,
    );
  return ctx.grant.roles;
}

function desiredBindings(ctx: GrantContext, s: GcpSettings, member: string): IamBinding[] {
  const end = endTimestamp(ctx.expiresAt);
  const condition = {
    title: conditionTitle(ctx.grantId),
    description: `Made by Access Requests for ${ctx.requestId} (${ctx.resource.name}); ends ${end}.`.slice(0, 256),
    expression: `request.time < timestamp("${end}")`,
  };
  return roles(ctx, s).map((role) => ({ role, members: [member], condition: { ...condition } }));
}

const ours = (b: IamBinding, title: string) => b.condition?.title === title;

/** What must match for the grant's bindings to be current (Google may order fields and members its own way). */
const fingerprint = (bindings: IamBinding[]) =>
  JSON.stringify(
    bindings
      .map((b) => [
        b.role,
        [...b.members].sort(),
        b.condition?.title,
        b.condition?.description ?? '',
        b.condition?.expression,
      ])
      .sort(),
  );

/** A sentence for a write Google refused with 400 (an unknown account, a policy constraint…). */
function refusalSentence(data: unknown, member: string, s: GcpSettings): PermanentProvisioningError {
  const message = String((data as { error?: { message?: unknown } } | null)?.error?.message ?? '').slice(0, 300);
  const who = member.replace(/^user:/, '');
  if (/does not exist|not found/i.test(message)) {
    return new PermanentProvisioningError(
      `No Google account has the e-mail ${who} (Google refused the binding on ${s.resource}: ${message}); nothing was granted`,
    );
  }
  if (/permitted customer/i.test(message)) {
    // Domain restricted sharing: the account exists, but the organization allows only its own domains.
    return new PermanentProvisioningError(
      `The organization policy of ${s.resource} does not allow ${who} (${message}); nothing was granted`,
    );
  }
  return new PermanentProvisioningError(
    `Google refused the binding on ${s.resource}: ${message || 'INVALID_ARGUMENT'}; nothing was granted`,
  );
}

export function createGcpProvisioner(): Provisioner {
  const iam = createIamClient();

  /** Brings the grant's bindings in line: one per role, this member, this end. Provision and extend alike. */
  async function ensure(ctx: GrantContext): Promise<ProvisionResult> {
    const s = readGcpSettings(ctx.settings);
    const member = memberFor(ctx, s);
    const desired = desiredBindings(ctx, s, member);
    const title = conditionTitle(ctx.grantId);
    const outcome = await iam.modifyPolicy(s, (bindings) => {
      const mine = bindings.filter((b) => ours(b, title));
      if (fingerprint(mine) === fingerprint(desired)) return null;
      return [...bindings.filter((b) => !ours(b, title)), ...desired];
    });
    if (outcome.refusal) throw refusalSentence(outcome.refusal.data, member, s);
    const end = endTimestamp(ctx.expiresAt);
    const where = s.resource.startsWith('projects/')
      ? `project ${s.resource.slice(9)}`
      : `folder ${s.resource.slice(8)}`;
    return {
      state: { resource: s.resource, member, roles: desired.map((b) => b.role), conditionTitle: title, endsAt: end },
      instructions: `You have ${desired.map((b) => b.role).join(', ')} on Google Cloud ${where} as ${member} until ${end}; Google ends it by itself then.${
        s.resource.startsWith('projects/')
          ? ` Console: https://console.cloud.google.com/home/dashboard?project=${encodeURIComponent(s.resource.slice(9))}`
          : ''
      }`,
    };
  }

  return {
    type: 'gcp',
    warm: warmGcpSdk,
    validateSettings: validateGcpSettings,
    roleChoices: (settings) =>
      Array.isArray(settings.roles) ? settings.roles.filter((r): r is string => typeof r === 'string') : [],
    provision: ensure,

    async extend(ctx) {
      // The same read-modify-write with the new end: the condition's timestamp moves and, if the
      // bindings were removed by hand meanwhile, they come back (the grant is meant to be active).
      const result = await ensure(ctx);
      return { state: result.state };
    },

    async deprovision(ctx) {
      // Everything follows from the grant id, so a lost state or a changed e-mail removes the same.
      const s = readGcpSettings(ctx.settings);
      const title = conditionTitle(ctx.grantId);
      const outcome = await iam.modifyPolicy(s, (bindings) =>
        bindings.some((b) => ours(b, title)) ? bindings.filter((b) => !ours(b, title)) : null,
      );
      if (outcome.refusal) {
        const message = String(
          (outcome.refusal.data as { error?: { message?: unknown } } | null)?.error?.message ?? '',
        ).slice(0, 300);
        throw new PermanentProvisioningError(
          `Google refused removing the grant's bindings from ${s.resource}: ${message || 'INVALID_ARGUMENT'}`,
        );
      }
    },

    async isPresent(ctx) {
      const s = readGcpSettings(ctx.settings);
      const title = conditionTitle(ctx.grantId);
      const bindings = (await iam.getPolicy(s)).bindings ?? [];
      const mine = bindings.filter((b) => ours(b, title));
      if (ctx.grant.type !== 'cloud' || mine.length === 0) return mine.length > 0;
      // Present means whole: every granted role still bound, so a role removed by hand is put back.
      const member = ctx.requesterEmail ? memberFor(ctx, s) : null;
      return ctx.grant.roles.every((role) =>
        mine.some((b) => b.role === role && (member === null || b.members.includes(member))),
      );
    },
  };
}
