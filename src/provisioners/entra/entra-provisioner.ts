import type { GraphError } from '@microsoft/microsoft-graph-client';
import type { GrantContext, Provisioner, ProvisionResult } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { isSecretRef } from '../secrets.js';
import { parseHttpUrl } from '../http-url.js';
import {
  graphConnections,
  warmEntraSdk,
  type GraphClientOptions,
  type GraphConnection,
  type GraphTarget,
} from './graph-client.js';
import { describeTokenFailure, graphFailure, isAlreadyMember, statusOf } from './graph-errors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
const DEFAULT_GRAPH = 'https://graph.microsoft.com';
const MEMBERS_PAGE = 999;

type UserAttribute = 'mail' | 'userPrincipalName' | 'either';

export interface Settings extends GraphTarget {
  groupId: string;
  userAttribute: UserAttribute;
}

interface EntraUser {
  id: string;
  mail: string | null;
  userPrincipalName: string;
}

function validateCommon(s: Record<string, unknown>): string | null {
  if (typeof s.tenant_id !== 'string' || !(GUID.test(s.tenant_id) || DOMAIN.test(s.tenant_id)))
    return 'tenant_id must be the directory (tenant) id, a GUID, or its domain like contoso.onmicrosoft.com';
  if (typeof s.client_id !== 'string' || !GUID.test(s.client_id))
    return "client_id must be the app registration's application (client) id, a GUID";
  if (typeof s.group_id !== 'string' || !GUID.test(s.group_id)) return "group_id must be the group's object id, a GUID";
  if (s.user_attribute !== undefined && s.user_attribute !== 'mail' && s.user_attribute !== 'userPrincipalName')
    return 'user_attribute must be "mail" or "userPrincipalName" (leave it out to match either)';
  for (const key of ['authority_host', 'graph_url'] as const) {
    if (s[key] !== undefined && parseHttpUrl(s[key])?.protocol !== 'https:')
      return `${key} must be an https URL (Microsoft's libraries refuse plain http)`;
  }
  return null;
}

function validateSettings(s: Record<string, unknown>): string | null {
  if (!isSecretRef(s.client_secret))
    return 'client_secret must be a secret reference (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR), never the secret itself';
  return validateCommon(s);
}

/** Settings arrive resolved; a resource saved before validation existed may still be broken. */
export function readSettings(s: Record<string, unknown>): Settings {
  const problem =
    validateCommon(s) ??
    (typeof s.client_secret === 'string' && s.client_secret !== '' ? null : 'client_secret is missing');
  if (problem) throw new PermanentProvisioningError(`entra settings: ${problem}`);
  return {
    tenantId: s.tenant_id as string,
    clientId: s.client_id as string,
    clientSecret: s.client_secret as string,
    groupId: (s.group_id as string).toLowerCase(),
    userAttribute:
      s.user_attribute === 'mail' || s.user_attribute === 'userPrincipalName' ? s.user_attribute : 'either',
    authorityHost: typeof s.authority_host === 'string' ? s.authority_host.replace(/\/+$/, '') : DEFAULT_AUTHORITY,
    graphUrl: typeof s.graph_url === 'string' ? s.graph_url.replace(/\/+$/, '') : DEFAULT_GRAPH,
  };
}

/** An OData string literal: quotes doubled, then the whole clause percent-encoded for the query string. */
const odata = (value: string) => `'${value.replace(/'/g, "''")}'`;

export function createEntraProvisioner(opts: GraphClientOptions = {}): Provisioner {
  const connections = graphConnections(opts);

  /** Connects and makes sure a token can be had, so a refused sign-in reads as such, not as a Graph error. */
  async function open(s: Settings): Promise<GraphConnection & { redact: (t: string) => string }> {
    const conn = await connections(s);
    const redact = (text: string) => text.split(s.clientSecret).join('[redacted]');
    try {
      await conn.credential.getToken(conn.scope, { abortSignal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
    } catch (error) {
      throw describeTokenFailure(error, s, redact);
    }
    return { ...conn, redact };
  }

  function identity(ctx: GrantContext): string {
    if (!ctx.requesterEmail)
      throw new PermanentProvisioningError(
        'The requester has no e-mail address in Slack, so no Entra ID user can be found for them.',
      );
    return ctx.requesterEmail;
  }

  async function findUser(
    conn: GraphConnection & { redact: (t: string) => string },
    s: Settings,
    email: string,
  ): Promise<EntraUser | null> {
    const select = 'id,mail,userPrincipalName';
    try {
      if (s.userAttribute === 'userPrincipalName') {
        return (await conn.client
          .api(`/users/${encodeURIComponent(email)}`)
          .query(`$select=${select}`)
          .get()) as EntraUser;
      }
      const filter =
        s.userAttribute === 'mail'
          ? `mail eq ${odata(email)}`
          : `mail eq ${odata(email)} or userPrincipalName eq ${odata(email)}`;
      const found = (
        (await conn.client
          .api('/users')
          .query(`$filter=${encodeURIComponent(filter)}&$select=${select}`)
          .get()) as { value: EntraUser[] }
      ).value;
      if (found.length > 1) {
        throw new PermanentProvisioningError(
          `${found.length} Entra ID users match ${email} (one by mail, another by user principal name); set user_attribute to mail or userPrincipalName.`,
        );
      }
      return found[0] ?? null;
    } catch (error) {
      if (error instanceof PermanentProvisioningError) throw error;
      if (statusOf(error) === 404 && s.userAttribute === 'userPrincipalName') return null;
      throw graphFailure(
        error as GraphError,
        `looking up the Entra ID user ${email}`,
        'User.ReadBasic.All (or User.Read.All)',
        conn.redact,
      );
    }
  }

  const noUser = (s: Settings, email: string) =>
    new PermanentProvisioningError(
      s.userAttribute === 'userPrincipalName'
        ? `No Entra ID user has the user principal name ${email}.`
        : `No Entra ID user has the e-mail ${email}.`,
    );

  /** The member to remove or look for: from state, else (state lost) found again from the e-mail. */
  async function memberId(
    conn: Parameters<typeof findUser>[0],
    s: Settings,
    ctx: GrantContext,
    state: Record<string, unknown>,
  ): Promise<string | null> {
    if (typeof state.userId === 'string' && GUID.test(state.userId)) return state.userId;
    if (!ctx.requesterEmail) return null;
    return (await findUser(conn, s, ctx.requesterEmail))?.id ?? null;
  }

  async function provision(ctx: GrantContext): Promise<ProvisionResult> {
    const s = readSettings(ctx.settings);
    if (ctx.grant.type !== 'group')
      throw new PermanentProvisioningError(
        `a ${ctx.grant.type} grant cannot be provisioned as an Entra ID group membership`,
      );
    const email = identity(ctx);
    const conn = await open(s);
    let group: { displayName?: string };
    try {
      group = (await conn.client.api(`/groups/${s.groupId}`).query('$select=id,displayName').get()) as {
        displayName?: string;
      };
    } catch (error) {
      if (statusOf(error) === 404)
        throw new PermanentProvisioningError(`Entra ID group ${s.groupId} does not exist in tenant ${s.tenantId}.`);
      throw graphFailure(
        error as GraphError,
        `reading Entra ID group ${s.groupId}`,
        'GroupMember.ReadWrite.All',
        conn.redact,
      );
    }
    const user = await findUser(conn, s, email);
    if (!user) throw noUser(s, email);
    try {
      await conn.client
        .api(`/groups/${s.groupId}/members/$ref`)
        .post({ '@odata.id': `${s.graphUrl}/v1.0/directoryObjects/${user.id}` });
    } catch (error) {
      // Already a member (an earlier attempt got through, or someone added them by hand): the goal holds.
      if (!isAlreadyMember(error))
        throw graphFailure(
          error as GraphError,
          `adding ${user.userPrincipalName} to Entra ID group ${s.groupId}`,
          'GroupMember.ReadWrite.All',
          conn.redact,
        );
    }
    const name = group.displayName ? `"${group.displayName}"` : s.groupId;
    return {
      state: { tenantId: s.tenantId, groupId: s.groupId, userId: user.id, userPrincipalName: user.userPrincipalName },
      instructions: `You are a member of the Entra ID group ${name} as ${user.userPrincipalName}. Apps see it in new sign-ins (sign out and in again if an app does not show it yet).`,
    };
  }

  return {
    type: 'entra',
    warm: warmEntraSdk,
    validateSettings,
    provision,

    // Entra group memberships have no end of their own: the bot removes them, so there is nothing to move.
    async extend(_ctx, state) {
      return { state };
    },

    async deprovision(ctx, state) {
      const s = readSettings(ctx.settings);
      const conn = await open(s);
      const userId = await memberId(conn, s, ctx, state);
      if (!userId) return; // No such user (or no e-mail): nobody to remove.
      try {
        await conn.client.api(`/groups/${s.groupId}/members/${userId}/$ref`).delete();
      } catch (error) {
        // Not a member (already removed, by us or by hand) or the group is gone: the goal holds.
        if (statusOf(error) !== 404)
          throw graphFailure(
            error as GraphError,
            `removing ${userId} from Entra ID group ${s.groupId}`,
            'GroupMember.ReadWrite.All',
            conn.redact,
          );
      }
    },

    async isPresent(ctx, state) {
      const s = readSettings(ctx.settings);
      const conn = await open(s);
      const userId = await memberId(conn, s, ctx, state);
      if (!userId) return false;
      // Direct members only, and read straight from the directory: checkMemberGroups is transitive
      // (a nested membership would look like ours), $filter on members is eventually consistent.
      let next: string | undefined = `/groups/${s.groupId}/members`;
      let query: string | undefined = `$select=id&$top=${MEMBERS_PAGE}`;
      while (next) {
        let page: { value: { id: string }[]; '@odata.nextLink'?: string };
        try {
          const request = conn.client.api(next);
          page = (await (query ? request.query(query) : request).get()) as typeof page;
        } catch (error) {
          if (statusOf(error) === 404) return false; // the group is gone, and the membership with it
          throw graphFailure(
            error as GraphError,
            `listing members of Entra ID group ${s.groupId}`,
            'GroupMember.ReadWrite.All',
            conn.redact,
          );
        }
        if (page.value.some((m) => m.id.toLowerCase() === userId.toLowerCase())) return true;
        next = page['@odata.nextLink'];
        query = undefined;
      }
      return false;
    },

    sharedAccessKeys(ctx) {
      const tenant = ctx.settings.tenant_id;
      const group = ctx.settings.group_id;
      if (typeof tenant !== 'string' || typeof group !== 'string' || !ctx.requesterEmail) return [];
      return [`entra:${tenant.toLowerCase()}:${group.toLowerCase()}:${ctx.requesterEmail.toLowerCase()}`];
    },
  };
}
