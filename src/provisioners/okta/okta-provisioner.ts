import type { Client, User } from '@okta/okta-sdk-nodejs';
import type { GrantContext, Provisioner, ProvisionResult } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { isSecretRef } from '../secrets.js';
import {
  classifyOktaError,
  oktaClients,
  warmOktaSdk,
  type OktaAuth,
  type OktaClientOptions,
  type OktaConnection,
} from './okta-client.js';

/**
 * Membership of an Okta group (a `group` resource). Grant = add the requester's Okta user to the
 * group (`PUT /api/v1/groups/{g}/users/{u}`, idempotent), end = remove it (`DELETE`, gone already is
 * fine). Okta memberships carry no expiry, so extending changes nothing there. One membership per
 * person and group: `sharedAccessKeys` names it for the provisioning service.
 *
 * Settings: `org_url` (https://example.okta.com), `group_id` (00g…), then either `token` (a secret
 * reference to an SSWS API token) or an OAuth 2.0 service app: `client_id` and `private_key` (a
 * secret reference to its PEM or JWK private key), optionally `key_id`; `user_attribute` (`email`,
 * the default, or `login`: which Okta profile field must equal the requester's Slack e-mail).
 */
const SETTINGS = ['org_url', 'group_id', 'token', 'client_id', 'private_key', 'key_id', 'user_attribute'];
const GROUP_ID = /^00g[A-Za-z0-9]{17}$/;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Users who cannot sign in until an admin acts: a membership would be access they cannot use, or a surprise later. */
const UNUSABLE: Record<string, string> = {
  DEPROVISIONED: 'is deactivated (DEPROVISIONED)',
  SUSPENDED: 'is suspended',
  STAGED: 'has not been activated yet (STAGED)',
};
const PAGE = 200;

export interface Settings extends OktaConnection {
  groupId: string;
  attribute: 'email' | 'login';
}

function orgUrlProblem(value: unknown): string | null {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return 'org_url must be your Okta org URL, e.g. https://example.okta.com';
  }
  if (url.protocol === 'https:')
    return url.pathname === '/' && !url.search
      ? null
      : 'org_url must be the org URL alone, e.g. https://example.okta.com (no path)';
  // Plain http would send the token in the clear: only for a local test org.
  if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) return null;
  return 'org_url must be an https URL, e.g. https://example.okta.com (http only for a local test org on 127.0.0.1)';
}

function validateSettings(s: Record<string, unknown>): string | null {
  const unknown = Object.keys(s).filter((k) => !SETTINGS.includes(k));
  if (unknown.length > 0)
    return `unknown okta setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${SETTINGS.join(', ')}`;
  const url = orgUrlProblem(s.org_url);
  if (url) return url;
  if (typeof s.group_id !== 'string' || !GROUP_ID.test(s.group_id))
    return 'group_id must be an Okta group id: 20 letters and digits starting with 00g (in the group page URL of the Admin Console)';
  const oauth = s.client_id !== undefined || s.private_key !== undefined || s.key_id !== undefined;
  if (s.token !== undefined && oauth)
    return 'give either token (an API token) or client_id and private_key (an OAuth service app), not both';
  if (oauth) {
    if (typeof s.client_id !== 'string' || !/^[A-Za-z0-9]{10,64}$/.test(s.client_id))
      return "client_id must be the OAuth service app's client id (0oa…)";
    if (!isSecretRef(s.private_key))
      return "private_key must be a secret reference (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR) to the service app's PEM or JWK private key, never the key itself";
    if (s.key_id !== undefined && (typeof s.key_id !== 'string' || s.key_id === ''))
      return "key_id must be the key's kid as Okta shows it";
  } else if (!isSecretRef(s.token))
    return 'token must be a secret reference (env:ACCESS_SECRET_OKTA_API_TOKEN or file:/path in ACCESS_SECRETS_DIR), never the token itself';
  if (s.user_attribute !== undefined && s.user_attribute !== 'email' && s.user_attribute !== 'login')
    return 'user_attribute must be "email" (the default) or "login"';
  return null;
}

/** Settings arrive with the token resolved; a resource saved before validation existed may still be broken. */
export function readSettings(s: Record<string, unknown>): Settings {
  const given = (v: unknown): v is string => typeof v === 'string' && v !== '';
  const auth: OktaAuth | null = given(s.token)
    ? { kind: 'token', token: s.token }
    : given(s.client_id) && given(s.private_key)
      ? {
          kind: 'oauth',
          clientId: s.client_id,
          privateKey: s.private_key,
          keyId: given(s.key_id) ? s.key_id : undefined,
        }
      : null;
  const problem =
    orgUrlProblem(s.org_url) ??
    (typeof s.group_id === 'string' && GROUP_ID.test(s.group_id) ? null : 'group_id is not an Okta group id') ??
    (auth ? null : 'token (or client_id and private_key) is missing');
  if (problem || !auth) throw new PermanentProvisioningError(`okta settings: ${problem}`);
  return {
    orgUrl: new URL(String(s.org_url)),
    auth,
    groupId: s.group_id as string,
    attribute: s.user_attribute === 'login' ? 'login' : 'email',
  };
}

/** The Okta search literal for a value: inside double quotes, `"` and `\` escaped. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

export function createOktaProvisioner(options: OktaClientOptions = {}): Provisioner {
  const clientFor = oktaClients(options);

  /** The requester's Okta user, or null when Okta has none; throws when Slack gives no e-mail or several users match. */
  async function findUser(client: Client, s: Settings, ctx: GrantContext): Promise<User | null> {
    const email = ctx.requesterEmail?.trim();
    if (!email)
      throw new PermanentProvisioningError(
        'The requester has no e-mail address in their Slack profile, so no Okta user can be found for them',
      );
    if (s.attribute === 'login') {
      try {
        return await client.userApi.getUser({ userId: email });
      } catch (error) {
        if (Number((error as { status?: unknown }).status) === 404) return null;
        throw classifyOktaError(error, `looking up the Okta user with login ${email}`, s);
      }
    }
    const found: User[] = [];
    try {
      const users = await client.userApi.listUsers({ search: `profile.email eq ${quoted(email)}`, limit: PAGE });
      for await (const user of users) if (user) found.push(user);
    } catch (error) {
      throw classifyOktaError(error, `looking up the Okta user with e-mail ${email}`, s);
    }
    // Search also returns deactivated users: an old account next to a new one with the same e-mail is common.
    const live = found.length > 1 ? found.filter((u) => u.status !== 'DEPROVISIONED') : found;
    if (live.length > 1) {
      throw new PermanentProvisioningError(
        `${live.length} Okta users have the e-mail ${email}; make it unique in Okta, or set user_attribute: login on the resource`,
      );
    }
    return live[0] ?? null;
  }

  function noUser(s: Settings, ctx: GrantContext): PermanentProvisioningError {
    const what = s.attribute === 'login' ? 'login' : 'e-mail';
    return new PermanentProvisioningError(
      `No Okta user has the ${what} ${ctx.requesterEmail} (in ${s.orgUrl.host}); an Okta admin must create one or fix the profile before the grant can be set up`,
    );
  }

  async function groupOf(client: Client, s: Settings, ctx: GrantContext) {
    try {
      return await client.groupApi.getGroup({ groupId: s.groupId });
    } catch (error) {
      throw classifyOktaError(error, `reading Okta group ${s.groupId}`, s, {
        notFound: `Okta group ${s.groupId} does not exist in ${s.orgUrl.host}; fix group_id of resource ${ctx.resource.name}`,
        forbidden: forbiddenSentence(s),
      });
    }
  }

  function forbiddenSentence(s: Settings) {
    const who = s.auth.kind === 'token' ? "the API token's admin" : 'the OAuth service app';
    return `${who} has no rights on group ${s.groupId}; give it the Group Membership Administrator role for that group, or a custom role with okta.groups.members.manage on a resource set holding it`;
  }

  /**
   * The membership a grant made: the group and user kept in its state (so a group_id changed since
   * still removes the membership where it was made), else the settings' group and the user looked up
   * again (state lost, or never written). A null user: Okta has none, so no membership either.
   */
  async function grantedMembership(
    client: Client,
    s: Settings,
    ctx: GrantContext,
    state: Record<string, unknown>,
  ): Promise<{ groupId: string; userId: string | null }> {
    const groupId = typeof state.groupId === 'string' && GROUP_ID.test(state.groupId) ? state.groupId : s.groupId;
    if (typeof state.userId === 'string' && state.userId !== '') return { groupId, userId: state.userId };
    if (!ctx.requesterEmail) return { groupId, userId: null };
    return { groupId, userId: (await findUser(client, s, ctx))?.id ?? null };
  }

  async function provision(ctx: GrantContext): Promise<ProvisionResult> {
    if (ctx.grant.type !== 'group')
      throw new PermanentProvisioningError(
        `a ${ctx.grant.type} grant cannot be provisioned as an Okta group membership`,
      );
    const s = readSettings(ctx.settings);
    const client = await clientFor(s);
    const group = await groupOf(client, s, ctx);
    const name = group.profile?.name ?? s.groupId;
    if (group.type !== 'OKTA_GROUP') {
      throw new PermanentProvisioningError(
        `Okta group ${name} (${s.groupId}) is of type ${group.type}: its members come from a directory or Okta itself, and only OKTA_GROUP memberships can be managed`,
      );
    }
    const user = await findUser(client, s, ctx);
    if (!user?.id) throw noUser(s, ctx);
    const login = user.profile?.login ?? ctx.requesterEmail ?? user.id;
    const unusable = UNUSABLE[String(user.status)];
    if (unusable)
      throw new PermanentProvisioningError(
        `The Okta user ${login} ${unusable}; an Okta admin must activate them before they can join ${name}`,
      );
    try {
      await client.groupApi.assignUserToGroup({ groupId: s.groupId, userId: user.id });
    } catch (error) {
      throw classifyOktaError(error, `adding ${login} to Okta group ${name}`, s, { forbidden: forbiddenSentence(s) });
    }
    return {
      state: { groupId: s.groupId, userId: user.id, login },
      instructions: `You are a member of the Okta group ${name} as ${login}; its apps show on your Okta dashboard at ${s.orgUrl.origin} (sign in again if one is missing).`,
    };
  }

  return {
    type: 'okta',
    validateSettings,
    warm: warmOktaSdk,
    provision,

    sharedAccessKeys(ctx) {
      const email = ctx.requesterEmail?.trim().toLowerCase();
      const org = (() => {
        try {
          return new URL(String(ctx.settings.org_url)).host.toLowerCase();
        } catch {
          return null;
        }
      })();
      return email && org && typeof ctx.settings.group_id === 'string'
        ? [`okta:${org}:${ctx.settings.group_id}:${email}`]
        : [];
    },

    // Okta memberships have no end of their own: the bot's expiry job removes them.
    async extend(_ctx, state) {
      return { state };
    },

    async deprovision(ctx, state) {
      const s = readSettings(ctx.settings);
      const client = await clientFor(s);
      const { groupId, userId } = await grantedMembership(client, s, ctx, state);
      // No Okta user (deleted, or never found, so never added): no membership to remove.
      if (!userId) return;
      try {
        await client.groupApi.unassignUserFromGroup({ groupId, userId });
      } catch (error) {
        // Okta answers 404 for a group or user that no longer exists: the membership is gone with it.
        if (Number((error as { status?: unknown }).status) === 404) return;
        throw classifyOktaError(
          error,
          `removing ${String(state.login ?? ctx.requesterEmail)} from Okta group ${groupId}`,
          s,
          { forbidden: forbiddenSentence({ ...s, groupId }) },
        );
      }
    },

    async isPresent(ctx, state) {
      const s = readSettings(ctx.settings);
      const client = await clientFor(s);
      const { groupId, userId } = await grantedMembership(client, s, ctx, state);
      if (!userId) return false;
      try {
        const members = await client.groupApi.listGroupUsers({ groupId, limit: PAGE });
        // Stops at the page holding the user: in a large group most checks read a few pages, not all.
        for await (const member of members) if (member?.id === userId) return true;
        return false;
      } catch (error) {
        if (Number((error as { status?: unknown }).status) === 404) return false;
        throw classifyOktaError(error, `listing the members of Okta group ${groupId}`, s, {
          forbidden: forbiddenSentence({ ...s, groupId }),
        });
      }
    },
  };
}
