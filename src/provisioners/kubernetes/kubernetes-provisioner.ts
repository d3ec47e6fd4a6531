import type { GrantContext, Provisioner, ProvisionResult } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { isSecretRef } from '../secrets.js';
import { fetchTransport, nodeTransport, type KubeResponse, type KubeSend } from './transport.js';
import { HTTPS_ONLY, parseHttpUrl } from '../http-url.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const EXPIRES_ANNOTATION = 'access-requests/expires-at';
const REQUEST_LABEL = 'access-requests/request';
const GRANT_LABEL = 'access-requests/grant';

interface Settings {
  apiUrl: URL;
  token: string;
  ca: string | undefined;
  subject: 'email' | 'slack';
  prefix: string;
}

interface RoleBinding {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; apiGroup: string; name: string }[];
}

function validateSettings(s: Record<string, unknown>): string | null {
  const url = parseHttpUrl(s.api_url);
  if (!url) return `api_url must be ${HTTPS_ONLY} of the Kubernetes API server, e.g. https://k8s.example.com:6443`;
  if (!isSecretRef(s.token))
    return 'token must be a secret reference (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR), never the token itself';
  if (s.ca_cert !== undefined && !isSecretRef(s.ca_cert))
    return 'ca_cert must be a secret reference (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR) to a PEM certificate';
  if (s.ca_cert !== undefined && url.protocol !== 'https:') return 'ca_cert is only used with an https api_url';
  if (s.subject !== undefined && s.subject !== 'email' && s.subject !== 'slack')
    return 'subject must be "email" or "slack"';
  if (s.subject_prefix !== undefined && typeof s.subject_prefix !== 'string')
    return 'subject_prefix must be a string, e.g. "oidc:"';
  return null;
}

/** Settings arrive resolved; a resource saved before validation existed may still be broken. */
function readSettings(s: Record<string, unknown>): Settings {
  const problem = validateSettingsResolved(s);
  if (problem) throw new PermanentProvisioningError(`kubernetes settings: ${problem}`);
  return {
    apiUrl: parseHttpUrl(s.api_url) as URL,
    token: s.token as string,
    ca: typeof s.ca_cert === 'string' ? s.ca_cert : undefined,
    subject: s.subject === 'slack' ? 'slack' : 'email',
    prefix: typeof s.subject_prefix === 'string' ? s.subject_prefix : '',
  };
}

function validateSettingsResolved(s: Record<string, unknown>): string | null {
  if (!parseHttpUrl(s.api_url)) return `api_url must be ${HTTPS_ONLY}`;
  if (typeof s.token !== 'string' || s.token === '') return 'token is missing';
  return null;
}

function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? `: ${parsed.message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

export function createKubernetesProvisioner(opts: { fetch?: typeof fetch } = {}): Provisioner {
  function client(settings: Settings) {
    const send: KubeSend =
      settings.ca === undefined && opts.fetch ? fetchTransport(opts.fetch) : nodeTransport(settings.ca);
    // Nothing built from a response or a socket error may carry the token, even if a proxy echoes it.
    const redact = (text: string) => text.split(settings.token).join('[redacted]');
    const base = settings.apiUrl.href.replace(/\/+$/, '');
    const path = (ns: string, name?: string) =>
      `${base}/apis/${RBAC_GROUP}/v1/namespaces/${encodeURIComponent(ns)}/rolebindings${name ? `/${encodeURIComponent(name)}` : ''}`;

    async function call(
      method: string,
      ns: string,
      name: string | undefined,
      body?: unknown,
      contentType = 'application/json',
    ): Promise<KubeResponse> {
      const headers: Record<string, string> = { authorization: `Bearer ${settings.token}`, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = contentType;
      try {
        return await send(
          method,
          new URL(path(ns, name)),
          headers,
          body === undefined ? undefined : JSON.stringify(body),
        );
      } catch (err) {
        // Network trouble is worth retrying: a plain Error.
        throw new Error(redact(`Kubernetes API ${settings.apiUrl.host} unreachable: ${(err as Error).message}`));
      }
    }

    function failure(res: KubeResponse, doing: string, ns: string): Error {
      const detail = redact(statusMessage(res.body));
      if (res.status === 401)
        return new PermanentProvisioningError(
          `Kubernetes API answered 401 Unauthorized while ${doing}: the token is invalid or expired`,
        );
      if (res.status === 403) {
        return new PermanentProvisioningError(
          `Kubernetes API answered 403 Forbidden while ${doing}: the token's account lacks RBAC rights on rolebindings in namespace ${ns}${detail}`,
        );
      }
      if (res.status === 408 || res.status === 429 || res.status >= 500)
        return new Error(`Kubernetes API answered ${res.status} while ${doing}${detail}`);
      return new PermanentProvisioningError(`Kubernetes API answered ${res.status} while ${doing}${detail}`);
    }

    return { call, failure };
  }

  function subjectName(ctx: GrantContext, s: Settings): string {
    if (s.subject === 'slack') return `${s.prefix}slack:${ctx.requesterId}`;
    if (!ctx.requesterEmail) {
      throw new PermanentProvisioningError(
        'the requester has no e-mail address in Slack, so no Kubernetes user can be named (or set subject: slack)',
      );
    }
    return `${s.prefix}${ctx.requesterEmail}`;
  }

  function desiredBinding(ctx: GrantContext, s: Settings, name: string, ns: string): RoleBinding {
    if (ctx.grant.type !== 'kubernetes')
      throw new PermanentProvisioningError(`a ${ctx.grant.type} grant cannot be provisioned on Kubernetes`);
    return {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: {
        name,
        namespace: ns,
        labels: { [REQUEST_LABEL]: ctx.requestId, [GRANT_LABEL]: ctx.grantId },
        annotations: { [EXPIRES_ANNOTATION]: ctx.expiresAt.toISOString() },
      },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: ctx.grant.role },
      subjects: [{ kind: 'User', apiGroup: RBAC_GROUP, name: subjectName(ctx, s) }],
    };
  }

  /** What must match for an existing binding to count as ours and current. */
  function fingerprint(b: RoleBinding): string {
    const m = b.metadata;
    return JSON.stringify([
      b.roleRef?.name,
      b.roleRef?.kind,
      b.subjects,
      m.labels?.[REQUEST_LABEL],
      m.labels?.[GRANT_LABEL],
      m.annotations?.[EXPIRES_ANNOTATION],
    ]);
  }

  /** Create, or bring an existing binding of the same name in line: retries must converge. */
  async function ensureBinding(ctx: GrantContext, s: Settings, name: string, ns: string, attempt = 0): Promise<void> {
    const { call, failure } = client(s);
    const desired = desiredBinding(ctx, s, name, ns);
    const created = await call('POST', ns, undefined, desired);
    if (created.status >= 200 && created.status < 300) return;
    if (created.status === 404) throw new PermanentProvisioningError(`namespace ${ns} does not exist`);
    if (created.status !== 409) throw failure(created, `creating RoleBinding ${name} in ${ns}`, ns);

    const got = await call('GET', ns, name);
    // Deleted between our POST and GET (or a concurrent change): the caller's retry will converge.
    if (got.status !== 200)
      throw got.status === 404
        ? new Error(`RoleBinding ${name} in ${ns} vanished while provisioning`)
        : failure(got, `reading RoleBinding ${name} in ${ns}`, ns);
    const existing = JSON.parse(got.body) as RoleBinding;
    if (fingerprint(existing) === fingerprint(desired)) return;
    if (existing.roleRef?.name !== desired.roleRef.name || existing.roleRef?.kind !== desired.roleRef.kind) {
      // roleRef is immutable in RBAC: replacing means delete and create.
      if (attempt > 0) throw new Error(`RoleBinding ${name} in ${ns} keeps changing; will retry`);
      const deleted = await call('DELETE', ns, name);
      if (deleted.status !== 404 && (deleted.status < 200 || deleted.status >= 300))
        throw failure(deleted, `replacing RoleBinding ${name} in ${ns}`, ns);
      return ensureBinding(ctx, s, name, ns, attempt + 1);
    }
    const replacement = {
      ...desired,
      metadata: { ...desired.metadata, resourceVersion: existing.metadata.resourceVersion },
    };
    const put = await call('PUT', ns, name, replacement);
    if (put.status === 409) throw new Error(`RoleBinding ${name} in ${ns} changed concurrently; will retry`);
    if (put.status < 200 || put.status >= 300) throw failure(put, `updating RoleBinding ${name} in ${ns}`, ns);
  }

  function target(ctx: GrantContext, state: Record<string, unknown>): { name: string; namespaces: string[] } {
    const fromState =
      Array.isArray(state.namespaces) && state.namespaces.every((n) => typeof n === 'string')
        ? (state.namespaces as string[])
        : null;
    const fromGrant = ctx.grant.type === 'kubernetes' ? ctx.grant.namespaces : [];
    return {
      name: typeof state.name === 'string' ? state.name : `jit-${ctx.requestId}`,
      namespaces: fromState ?? fromGrant,
    };
  }

  async function provision(ctx: GrantContext): Promise<ProvisionResult> {
    const s = readSettings(ctx.settings);
    if (ctx.grant.type !== 'kubernetes')
      throw new PermanentProvisioningError(`a ${ctx.grant.type} grant cannot be provisioned on Kubernetes`);
    const name = `jit-${ctx.requestId}`;
    const subject = subjectName(ctx, s);
    for (const ns of ctx.grant.namespaces) await ensureBinding(ctx, s, name, ns);
    const namespaces = ctx.grant.namespaces;
    return {
      state: { namespaces, name, subject },
      instructions: `You are bound to ClusterRole ${ctx.grant.role} in namespace${namespaces.length > 1 ? 's' : ''} ${namespaces.join(', ')} as Kubernetes user ${subject}.`,
    };
  }

  return {
    type: 'kubernetes',
    validateSettings,
    provision,

    async extend(ctx, state) {
      const s = readSettings(ctx.settings);
      const { call, failure } = client(s);
      const { name, namespaces } = target(ctx, state);
      const patch = { metadata: { annotations: { [EXPIRES_ANNOTATION]: ctx.expiresAt.toISOString() } } };
      for (const ns of namespaces) {
        const res = await call('PATCH', ns, name, patch, 'application/merge-patch+json');
        // Someone removed the binding: extending means the access must be there, so recreate it.
        if (res.status === 404) await ensureBinding(ctx, s, name, ns);
        else if (res.status < 200 || res.status >= 300)
          throw failure(res, `extending RoleBinding ${name} in ${ns}`, ns);
      }
      return { state: { ...state, name, namespaces } };
    },

    async deprovision(ctx, state) {
      const s = readSettings(ctx.settings);
      const { call, failure } = client(s);
      const { name, namespaces } = target(ctx, state);
      for (const ns of namespaces) {
        const res = await call('DELETE', ns, name);
        if (res.status !== 404 && (res.status < 200 || res.status >= 300))
          throw failure(res, `deleting RoleBinding ${name} in ${ns}`, ns);
      }
    },

    async isPresent(ctx, state) {
      const s = readSettings(ctx.settings);
      const { call, failure } = client(s);
      const { name, namespaces } = target(ctx, state);
      for (const ns of namespaces) {
        const res = await call('GET', ns, name);
        if (res.status === 404) return false;
        if (res.status !== 200) throw failure(res, `reading RoleBinding ${name} in ${ns}`, ns);
      }
      return true;
    },
  };
}
