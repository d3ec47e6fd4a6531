import { createHash } from 'node:crypto';
import type { Client } from '@okta/okta-sdk-nodejs';
import { PermanentProvisioningError } from '../port.js';

/**
 * Okta's official SDK (`@okta/okta-sdk-nodejs`), configured for the bot:
 * - its DefaultRequestExecutor waits out a 429 until `X-Rate-Limit-Reset` (measured against the
 *   answer's `Date`, so clock skew does not matter) and retries, but only within `requestTimeoutMs`
 *   for the whole call: a reset further away fails at once with an ordinary error, which the outbox
 *   retries later. The same budget is the network timeout, so a hung org cannot hold the worker.
 * - its response cache is off: it would answer a user or group read from memory, and reconcile must
 *   see Okta as it is now.
 * - the module is imported on first use: it is large (about 5 s to load on a busy machine), and most
 *   deployments have no Okta resource. Where one exists, start-up warms it (warmOktaSdk) in the
 *   background, so the first grant after approval does not wait for the import.
 */
export interface OktaClientOptions {
  /** The most one call may take, 429 waits included (default 15 s). */
  requestTimeoutMs?: number;
  /** How many 429s in a row one call waits out (default 2, the SDK's). */
  maxRetries?: number;
  /** The scopes an OAuth service app asks for (default OAUTH_SCOPES; the group sync asks only okta.groups.read). */
  scopes?: string[];
}

/** An API token (`SSWS`), or an OAuth 2.0 service app signing its client assertion with a private key. */
export type OktaAuth =
  { kind: 'token'; token: string } | { kind: 'oauth'; clientId: string; privateKey: string; keyId: string | undefined };

export interface OktaConnection {
  orgUrl: URL;
  auth: OktaAuth;
}

/** What the service app asks for: add and remove members (groups.manage covers reading them) and find users. */
export const OAUTH_SCOPES = ['okta.groups.manage', 'okta.users.read'];

const secretsOf = (auth: OktaAuth) => (auth.kind === 'token' ? [auth.token] : [auth.privateKey]);

type Sdk = typeof import('@okta/okta-sdk-nodejs');
// One import per process (Node's module cache is global anyway), shared by every app instance.
let sdk: Promise<Sdk> | undefined;
let sdkLoaded = false;

function loadSdk(): Promise<Sdk> {
  sdk ??= import('@okta/okta-sdk-nodejs').then(
    (module) => {
      sdkLoaded = true;
      return module;
    },
    (error: unknown) => {
      // Not cached: the next call tries the import again instead of failing forever.
      sdk = undefined;
      throw error;
    },
  );
  return sdk;
}

/** Starts importing the SDK without waiting for it; a failure shows at the first call, which imports again. */
export function warmOktaSdk(): Promise<void> {
  return loadSdk().then(
    () => undefined,
    () => undefined,
  );
}

/** Whether the SDK is imported, being imported, or untouched: what start-up did, for tests and diagnostics. */
export function oktaSdkState(): 'not loaded' | 'loading' | 'loaded' {
  return sdkLoaded ? 'loaded' : sdk ? 'loading' : 'not loaded';
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export function oktaClients(options: OktaClientOptions = {}) {
  const clients = new Map<string, Client>();
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return async function clientFor(conn: OktaConnection): Promise<Client> {
    // Keyed by a hash, so rotated credentials get a fresh client and no map key holds a secret. One
    // client per org and credentials also keeps the OAuth access token the SDK caches (about an hour).
    const key = createHash('sha256')
      .update(JSON.stringify([conn.orgUrl.origin, conn.auth]))
      .digest('hex');
    const cached = clients.get(key);
    if (cached) return cached;
    const { Client: OktaClient, DefaultRequestExecutor } = await loadSdk();
    const common = {
      orgUrl: conn.orgUrl.origin,
      cacheMiddleware: null,
      requestExecutor: new DefaultRequestExecutor({ maxRetries: options.maxRetries ?? 2, requestTimeout }),
    };
    // Every field explicit (an empty keyId too), so OKTA_CLIENT_* variables or an okta.yaml, both read
    // by the SDK's config loader, cannot switch the mode or slip in another key id under us.
    const client =
      conn.auth.kind === 'token'
        ? new OktaClient({ ...common, authorizationMode: 'SSWS', token: conn.auth.token })
        : new OktaClient({
            ...common,
            authorizationMode: 'PrivateKey',
            clientId: conn.auth.clientId,
            scopes: options.scopes ?? OAUTH_SCOPES,
            privateKey: conn.auth.privateKey,
            keyId: conn.auth.keyId ?? '',
          });
    clients.set(key, client);
    return client;
  };
}

export type OktaClientFor = ReturnType<typeof oktaClients>;

interface SdkError {
  status?: number | string;
  errorCode?: string;
  errorSummary?: string;
  headers?: { get?: (name: string) => string | null };
  url?: string;
}

/** A failure that retrying may heal, with the seconds until Okta's rate-limit window resets when known. */
export class OktaRetryableError extends Error {
  override name = 'OktaRetryableError';
  readonly retryAfter: number | undefined;
  constructor(message: string, retryAfter?: number) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

/**
 * Turns what the SDK threw into the bot's two kinds of failure, with a sentence an approver can act
 * on. `doing` names the call ("adding … to group …"); `notFound` is the sentence for a 404, when a
 * 404 there is permanent (an unknown group) rather than a race. Nothing returned carries the token.
 */
export function classifyOktaError(
  error: unknown,
  doing: string,
  conn: OktaConnection,
  extra: { forbidden?: string; notFound?: string; scopes?: string[] } = {},
): Error {
  const redact = (text: string) => secretsOf(conn.auth).reduce((t, secret) => t.split(secret).join('[redacted]'), text);
  const e = (error ?? {}) as SdkError;
  const status = Number(e.status);
  const detail = e.errorCode ? ` ${e.errorCode} ${e.errorSummary ?? ''}`.trimEnd() : '';
  const host = conn.orgUrl.host;
  const message = error instanceof Error ? error.message : String(error);
  if (conn.auth.kind === 'oauth' && (String(e.url ?? '').endsWith('/oauth2/v1/token') || status === 401)) {
    if (Number.isFinite(status) && status >= 400 && status < 500 && status !== 429) {
      return new PermanentProvisioningError(
        `Okta (${host}) refused the service app's access token request while ${doing} (${status}): check client_id, private_key and key_id, and that the app is granted the scopes ${(extra.scopes ?? OAUTH_SCOPES).join(' and ')}`,
      );
    }
  }
  if (conn.auth.kind === 'oauth' && /private key|Key type/i.test(message) && !Number.isFinite(status)) {
    return new PermanentProvisioningError(
      `the okta private_key setting is not a PEM or JWK private key the SDK can sign with`,
    );
  }
  if (status === 401) {
    return new PermanentProvisioningError(
      `Okta (${host}) refused the API token while ${doing} (401${detail}): check the resource's token setting; the token may be revoked, expired after 30 days unused, or from another org`,
    );
  }
  if (status === 403) {
    return new PermanentProvisioningError(
      redact(
        `Okta (${host}) answered 403${detail} while ${doing}: ${extra.forbidden ?? "the token's admin lacks the rights for this call"}`,
      ),
    );
  }
  if (status === 404 && extra.notFound) return new PermanentProvisioningError(redact(extra.notFound));
  if (status === 429) {
    const reset = Number(e.headers?.get?.('x-rate-limit-reset'));
    const wait = Number.isFinite(reset) && reset > 0 ? Math.max(1, Math.ceil(reset - Date.now() / 1000)) : undefined;
    return new OktaRetryableError(
      `Okta (${host}) rate limit reached while ${doing}${wait ? `; it resets in ${wait}s` : ''}; will retry`,
      wait,
    );
  }
  if (Number.isFinite(status) && status > 0) {
    // A 404 nobody mapped is a race (a user deleted between lookup and call): the retry looks up again.
    const cls = status >= 500 || status === 408 || status === 404 ? OktaRetryableError : PermanentProvisioningError;
    return new cls(redact(`Okta (${host}) answered ${status}${detail} while ${doing}`));
  }
  // The SDK's executor refuses to sleep past its budget: the window resets later than we wait.
  if (/retry delay would exceed|request time exceeded/.test(message)) {
    return new OktaRetryableError(
      `Okta (${host}) rate limit reached while ${doing}; the window resets later than the bot waits, will retry`,
    );
  }
  return new OktaRetryableError(redact(`Okta (${host}) unreachable while ${doing}: ${message}`));
}
