import { createHash } from 'node:crypto';
import type { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import type { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { lazySdk } from '../lazy-sdk.js';
import { classifyAwsError } from './aws-errors.js';
import type { AwsSettings } from './aws-settings.js';

// Imported on first use (see lazy-sdk.ts): the two clients and their Smithy runtime are about 20 MiB.
export const awsSdk = lazySdk(async () => {
  const [ssoAdmin, identityStore] = await Promise.all([
    import('@aws-sdk/client-sso-admin'),
    import('@aws-sdk/client-identitystore'),
  ]);
  return { ssoAdmin, identityStore };
});
type AwsSdk = Awaited<ReturnType<typeof awsSdk.load>>;

/** Whether start-up loaded the AWS SDK: for tests and diagnostics. */
export const awsSdkState = awsSdk.state;

export interface Clients {
  sso: SSOAdminClient;
  identityStore: IdentitystoreClient;
  sdk: AwsSdk;
  redact: (text: string) => string;
}

export interface ClientOptions {
  maxAttempts?: number;
  systemClockOffsetMs?: number;
}

/** One pair of clients per (region, endpoint, credentials): the credential chain is resolved once. */
export function createClientCache(opts: ClientOptions): (s: AwsSettings) => Promise<Clients> {
  const clientCache = new Map<string, Clients>();
  return async function clients(s: AwsSettings): Promise<Clients> {
    const secretHash = s.credentials ? createHash('sha256').update(s.credentials.secretAccessKey).digest('hex') : '';
    const cacheKey = JSON.stringify([s.region, s.endpoint, s.credentials?.accessKeyId, secretHash]);
    const cached = clientCache.get(cacheKey);
    if (cached) return cached;
    const config = {
      region: s.region,
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 },
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.credentials ? { credentials: s.credentials } : {}),
      ...(opts.systemClockOffsetMs !== undefined ? { systemClockOffset: opts.systemClockOffsetMs } : {}),
    };
    const sdk = await awsSdk.load();
    const secret = s.credentials?.secretAccessKey;
    const made: Clients = {
      sso: new sdk.ssoAdmin.SSOAdminClient(config),
      identityStore: new sdk.identityStore.IdentitystoreClient(config),
      sdk,
      redact: (text) => (secret ? text.split(secret).join('[redacted]') : text),
    };
    clientCache.set(cacheKey, made);
    return made;
  };
}

export async function call<T>(c: Clients, operation: string, doing: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw classifyAwsError(e, operation, doing, c.redact);
  }
}
