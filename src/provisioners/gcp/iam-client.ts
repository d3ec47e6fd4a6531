import { setTimeout as sleep } from 'node:timers/promises';
import type { GoogleAuth } from 'google-auth-library';
import { lazySdk } from '../lazy-sdk.js';
import { PermanentProvisioningError } from '../port.js';
import type { GcpSettings } from './gcp-settings.js';

/**
 * Cloud Resource Manager v3 getIamPolicy / setIamPolicy through Google's auth library with
 * application-default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or the
 * metadata server on Google Cloud). Writes are read-modify-write with the etag, retried a few times
 * when another writer got in between (409 ABORTED).
 */
export interface IamBinding {
  role: string;
  members: string[];
  condition?: { title: string; description?: string; expression: string };
}

export interface IamPolicy {
  version?: number;
  etag?: string;
  bindings?: IamBinding[];
  [other: string]: unknown;
}

const GOOGLE_API = 'https://cloudresourcemanager.googleapis.com';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const TIMEOUT_MS = 15_000;
export const MAX_WRITE_ATTEMPTS = 5;

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string };
}

function googleMessage(data: unknown): { status: string; message: string } {
  const e = (data as GoogleErrorBody | null)?.error;
  return {
    status: typeof e?.status === 'string' ? e.status : 'UNKNOWN',
    message: typeof e?.message === 'string' ? e.message.slice(0, 300) : '',
  };
}

// Imported on first use (see lazy-sdk.ts): google-auth-library and its gaxios/gtoken are about 8 MiB.
const googleSdk = lazySdk(() => import('google-auth-library'));

/** Starts importing google-auth-library in the background (start-up, when a GCP resource exists). */
export const warmGcpSdk = googleSdk.warm;
/** Whether start-up loaded google-auth-library: for tests and diagnostics. */
export const gcpSdkState = googleSdk.state;

/**
 * A test double serves Google's token endpoint too. google-auth-library (10.x and 11.x) posts every
 * service-account assertion to oauth2.googleapis.com whatever the key file's token_uri says, so with
 * `api_url` set the token request is sent to the double by a fetch that rewrites that one URL.
 */
async function authFor(apiUrl: URL | null): Promise<GoogleAuth> {
  const { GoogleAuth } = await googleSdk.load();
  if (!apiUrl) return new GoogleAuth({ scopes: [SCOPE] });
  const base = apiUrl.href.replace(/\/+$/, '');
  const redirecting: typeof fetch = (input, init) => {
    const href = input instanceof URL ? input.href : typeof input === 'string' ? input : input.url;
    return fetch(href === GOOGLE_TOKEN_URL ? `${base}/token` : input, init);
  };
  return new GoogleAuth({
    scopes: [SCOPE],
    clientOptions: { transporterOptions: { fetchImplementation: redirecting } },
  });
}

/** Failures of the credential chain itself: no ADC, an unreadable key file, a refused assertion. */
function credentialFailure(error: unknown, doing: string): Error {
  const e = error as { message?: string; response?: { status?: number }; code?: string };
  const message = String(e.message ?? error).slice(0, 300);
  const status = e.response?.status;
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new PermanentProvisioningError(
      `Google refused the bot's service-account credentials while ${doing} (${message}); check the key GOOGLE_APPLICATION_CREDENTIALS names, or the account's state`,
    );
  }
  if (/default credentials|credential file|does not contain|private_key|client_email/i.test(message)) {
    return new PermanentProvisioningError(`no Google credentials for the bot while ${doing}: ${message}`);
  }
  return new Error(`Google unreachable while ${doing}: ${message}`);
}

export function createIamClient() {
  // One GoogleAuth per endpoint, so the access token is minted once and reused until it nears expiry.
  const auths = new Map<string, GoogleAuth>();
  const authOf = async (s: GcpSettings) => {
    const key = s.apiUrl?.href ?? '';
    const cached = auths.get(key);
    if (cached) return cached;
    const made = await authFor(s.apiUrl);
    // Another call may have made one while the library loaded: keep the first, and its token.
    const auth = auths.get(key) ?? made;
    auths.set(key, auth);
    return auth;
  };

  async function call(
    s: GcpSettings,
    method: 'getIamPolicy' | 'setIamPolicy',
    data: unknown,
    retriedAuth = false,
  ): Promise<{ status: number; data: unknown }> {
    const base = (s.apiUrl?.href ?? GOOGLE_API).replace(/\/+$/, '');
    const doing = `${method === 'getIamPolicy' ? 'reading' : 'writing'} the IAM policy of ${s.resource}`;
    let res: { status: number; data: unknown };
    try {
      const client = await (await authOf(s)).getClient();
      // Statuses are ours to judge (no throwing, no library retries): 409 and 429 need different answers.
      res = await client.request({
        url: `${base}/v3/${s.resource}:${method}`,
        method: 'POST',
        data,
        responseType: 'json',
        validateStatus: () => true,
        retry: false,
        timeout: TIMEOUT_MS,
      });
    } catch (error) {
      throw credentialFailure(error, doing);
    }
    if (res.status === 401 && !retriedAuth) {
      // A token revoked or expired early: start over with a fresh GoogleAuth (and a fresh token) once.
      auths.delete(s.apiUrl?.href ?? '');
      return call(s, method, data, true);
    }
    return res;
  }

  function failure(res: { status: number; data: unknown }, doing: string, s: GcpSettings): Error {
    const { status, message } = googleMessage(res.data);
    const detail = `${res.status} ${status}${message ? `: ${message}` : ''}`;
    if (res.status === 401)
      return new PermanentProvisioningError(`Google refused the bot's access token while ${doing} (${detail})`);
    if (res.status === 403) {
      const permissions = s.resource.startsWith('folders/')
        ? 'resourcemanager.folders.getIamPolicy and setIamPolicy (roles/resourcemanager.folderIamAdmin)'
        : 'resourcemanager.projects.getIamPolicy and setIamPolicy (roles/resourcemanager.projectIamAdmin)';
      return new PermanentProvisioningError(
        `Google denied the bot's service account while ${doing} (${detail}): check that ${s.resource} exists and that the account has ${permissions} on it`,
      );
    }
    if (res.status === 404)
      return new PermanentProvisioningError(`${s.resource} does not exist in Google Cloud (${detail})`);
    if (res.status === 408 || res.status === 429 || res.status >= 500)
      return new Error(`Google answered ${detail} while ${doing}; will retry`);
    return new PermanentProvisioningError(`Google refused ${doing.replace('writing', 'the change to')} (${detail})`);
  }

  async function getPolicy(s: GcpSettings): Promise<IamPolicy> {
    // Version 3, or conditional bindings come back with mangled roles and no conditions.
    const res = await call(s, 'getIamPolicy', { options: { requestedPolicyVersion: 3 } });
    if (res.status !== 200) throw failure(res, `reading the IAM policy of ${s.resource}`, s);
    return (res.data ?? {}) as IamPolicy;
  }

  /**
   * Reads the policy, lets `change` return new bindings (or null: nothing to do), and writes them with
   * the etag read and version 3. A concurrent writer makes the write fail with 409 ABORTED; then the
   * whole cycle runs again, a bounded number of times with a short, growing, jittered pause.
   */
  async function modifyPolicy(
    s: GcpSettings,
    change: (bindings: IamBinding[]) => IamBinding[] | null,
  ): Promise<{ written: boolean; refusal?: { status: number; data: unknown } }> {
    for (let attempt = 1; ; attempt++) {
      const policy = await getPolicy(s);
      const bindings = change(structuredClone(policy.bindings ?? []));
      if (!bindings) return { written: false };
      const res = await call(s, 'setIamPolicy', { policy: { ...policy, bindings, version: 3 } });
      if (res.status === 200) return { written: true };
      if (res.status === 400) return { written: false, refusal: res };
      if (res.status !== 409) throw failure(res, `writing the IAM policy of ${s.resource}`, s);
      // Transient: the outbox tries again later, after its own backoff.
      if (attempt >= MAX_WRITE_ATTEMPTS)
        throw new Error(
          `the IAM policy of ${s.resource} kept changing during ${MAX_WRITE_ATTEMPTS} attempts to write it; will retry`,
        );
      await sleep(25 * 2 ** attempt + Math.floor(Math.random() * 25));
    }
  }

  return { getPolicy, modifyPolicy };
}

export type IamClient = ReturnType<typeof createIamClient>;
