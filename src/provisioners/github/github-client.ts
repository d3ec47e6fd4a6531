import { createHash } from 'node:crypto';
import type { Octokit } from '@octokit/rest';
import { lazySdk } from '../lazy-sdk.js';
import { PermanentProvisioningError } from '../port.js';
import type { GitHubSettings } from './github-settings.js';

/**
 * GitHub's official SDK, Octokit (`@octokit/rest`), authenticated as a GitHub App installation
 * (`@octokit/auth-app`): it signs a JWT with the app's private key, exchanges it for an installation
 * token (`POST /app/installations/{id}/access_tokens`) and keeps that token for its hour, fetching a new
 * one when it nears its end. One client per API root, app, installation and key, so the token is reused.
 * Each call has a 15 s budget (a hung server cannot hold the outbox worker); Octokit's own log is
 * silenced (it would print request URLs and warnings to the console, outside pino's redaction).
 * Imported on first use (lazy-sdk.ts): deployments without a GitHub resource never load it.
 */
const sdk = lazySdk(async () => {
  const [{ Octokit }, { createAppAuth }] = await Promise.all([import('@octokit/rest'), import('@octokit/auth-app')]);
  return { Octokit, createAppAuth };
});
export const warmGitHubSdk = sdk.warm;

export const REQUEST_TIMEOUT_MS = 15_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export function gitHubClients(options: { requestTimeoutMs?: number } = {}) {
  const clients = new Map<string, Octokit>();
  const timeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const keyOf = (s: GitHubSettings) =>
    createHash('sha256')
      .update(JSON.stringify([s.baseUrl.href, s.appId, s.installationId, s.privateKey]))
      .digest('hex');
  return {
    async clientFor(s: GitHubSettings): Promise<Octokit> {
      // Keyed by a hash: a rotated key gets a fresh client, and no map key holds the key.
      const key = keyOf(s);
      const cached = clients.get(key);
      if (cached) return cached;
      const { Octokit: OctokitClass, createAppAuth } = await sdk.load();
      const octokit = new OctokitClass({
        baseUrl: s.baseUrl.href.replace(/\/+$/, ''),
        authStrategy: createAppAuth,
        auth: { appId: s.appId, privateKey: s.privateKey, installationId: s.installationId },
        userAgent: 'access-requests-for-slack',
        log: quiet,
        request: {
          fetch: (url: string | URL, init?: RequestInit) =>
            fetch(url, { ...init, signal: AbortSignal.timeout(timeout) }),
        },
      });
      clients.set(key, octokit);
      return octokit;
    },
    /** Drops the client whose token GitHub stopped taking (401): the next call starts from a fresh JWT. */
    forget(s: GitHubSettings) {
      clients.delete(keyOf(s));
    },
  };
}
export type GitHubClients = ReturnType<typeof gitHubClients>;

/** A failure retrying may heal; `retryAfter` (seconds) when GitHub said how long to wait. */
export class GitHubRetryableError extends Error {
  override name = 'GitHubRetryableError';
  readonly retryAfter: number | undefined;
  constructor(message: string, retryAfter?: number) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  request?: { url?: string };
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

export const statusOf = (error: unknown) => Number((error as RequestErrorLike | null)?.status);

/** GitHub's `message` (and a 422's `errors`), never the request's headers. */
function githubMessage(e: RequestErrorLike): string {
  const data = e.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : '';
  const errors = Array.isArray(data?.errors)
    ? data.errors
        .map(
          (x: { message?: string; code?: string; field?: string }) => x.message ?? `${x.field ?? ''} ${x.code ?? ''}`,
        )
        .join('; ')
    : '';
  return [message, errors].filter(Boolean).join(': ');
}

/**
 * Turns what Octokit threw into the bot's two kinds of failure, with a sentence an approver can act
 * on. `doing` names the call; `forbidden` the permission the app lacks for it; `notFound` the sentence
 * when a 404 there is permanent (an unknown team or repository) rather than a race.
 */
export function classifyGitHubError(
  error: unknown,
  doing: string,
  s: GitHubSettings,
  clients: GitHubClients,
  extra: { forbidden?: string; notFound?: string } = {},
): Error {
  const e = (error ?? {}) as RequestErrorLike;
  const status = statusOf(error);
  const host = s.baseUrl.host;
  const said = githubMessage(e);
  const headers = e.response?.headers ?? {};
  const tokenCall = /\/app\/installations\/[^/]+\/access_tokens/.test(e.request?.url ?? '');
  if (tokenCall && status === 401)
    return new PermanentProvisioningError(
      `GitHub (${host}) refused the GitHub App's signed token while ${doing} (${said || 401}): check app_id and private_key (the app's current private key, PEM)`,
    );
  if (tokenCall && (status === 404 || status === 403))
    return new PermanentProvisioningError(
      `GitHub (${host}) has no installation ${s.installationId} of app ${s.appId} (${status}) while ${doing}: check installation_id, and that the app is still installed (and not suspended) on the organization`,
    );
  if (status === 401) {
    // The installation token stopped working (revoked, or the installation changed): start again.
    clients.forget(s);
    return new GitHubRetryableError(
      `GitHub (${host}) no longer takes the installation token while ${doing}; will retry`,
    );
  }
  const retryAfter = Number(headers['retry-after']);
  const remaining = headers['x-ratelimit-remaining'];
  if ((status === 403 || status === 429) && (Number.isFinite(retryAfter) || /secondary rate limit/i.test(said)))
    return new GitHubRetryableError(
      `GitHub (${host}) secondary rate limit while ${doing}; will retry${Number.isFinite(retryAfter) ? ` after ${retryAfter}s` : ''}`,
      Number.isFinite(retryAfter) ? Math.max(1, retryAfter) : 60,
    );
  if ((status === 403 || status === 429) && remaining === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    const wait = Number.isFinite(reset) ? Math.max(1, Math.ceil(reset - Date.now() / 1000)) : 60;
    return new GitHubRetryableError(
      `GitHub (${host}) rate limit used up while ${doing}; it resets in ${wait}s, will retry`,
      wait,
    );
  }
  if (status === 403)
    return new PermanentProvisioningError(
      `GitHub (${host}) answered 403 (${said || 'Forbidden'}) while ${doing}: ${extra.forbidden ?? 'the GitHub App lacks a permission this call needs'}`,
    );
  if (status === 404 && extra.notFound) return new PermanentProvisioningError(extra.notFound);
  if (status === 422)
    return new PermanentProvisioningError(`GitHub (${host}) refused ${doing} (422 ${said || 'Validation Failed'})`);
  if (Number.isFinite(status) && status > 0) {
    const retryable = status >= 500 || status === 404 || status === 408 || status === 429;
    const sentence = `GitHub (${host}) answered ${status}${said ? ` (${said})` : ''} while ${doing}`;
    return retryable ? new GitHubRetryableError(sentence) : new PermanentProvisioningError(sentence);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/private key|PEM|asn1|DECODER/i.test(message))
    return new PermanentProvisioningError(
      'the github private_key setting is not a PEM private key the app can sign with',
    );
  return new GitHubRetryableError(
    `GitHub (${host}) unreachable while ${doing}: ${message.split(s.privateKey).join('[redacted]')}`,
  );
}
