import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { ClientSecretCredential } from '@azure/identity';
import type { Client, Context, Middleware } from '@microsoft/microsoft-graph-client';
import { lazySdk } from '../lazy-sdk.js';

// Imported on first use (see lazy-sdk.ts): @azure/identity (with MSAL) and the Graph client are about 10 MiB.
const entraSdk = lazySdk(async () => {
  const [identity, graph, authProvider] = await Promise.all([
    import('@azure/identity'),
    import('@microsoft/microsoft-graph-client'),
    import('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js'),
  ]);
  return { identity, graph, authProvider };
});

/** Starts importing the Azure and Graph SDKs in the background (start-up, when an Entra resource exists). */
export const warmEntraSdk = entraSdk.warm;
/** Whether start-up loaded the Azure and Graph SDKs: for tests and diagnostics. */
export const entraSdkState = entraSdk.state;

export const GRAPH_TIMEOUT_MS = 15_000;

export interface GraphRetryPolicy {
  /** Retries of a 429/503/504 inside one call (the SDK's RetryHandler), before the outbox's own backoff takes over. */
  maxRetries: number;
  /** Seconds between retries when Graph gives no Retry-After. */
  delaySeconds: number;
  /** A longer Retry-After is not waited out in the call (the outbox lease is 60 s): the call fails and the outbox retries later. */
  maxRetryAfterSeconds: number;
}

export const DEFAULT_RETRY: GraphRetryPolicy = { maxRetries: 2, delaySeconds: 2, maxRetryAfterSeconds: 10 };

export interface GraphClientOptions {
  /** A PEM CA to trust for the authority and Graph (a private cloud, the test double); the system's otherwise. */
  ca?: string;
  retry?: GraphRetryPolicy;
  timeoutMs?: number;
}

export interface GraphTarget {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  graphUrl: string;
}

export interface GraphConnection {
  client: Client;
  credential: ClientSecretCredential;
  scope: string;
}

const KNOWN_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

function headerObject(headers: unknown): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers as [string, string][]);
  return Object.fromEntries(Object.entries(headers as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/**
 * The last link of the Graph client's middleware chain, in place of its fetch-based
 * HTTPMessageHandler: Node 20's fetch has no timeout by default (a hanging Graph would hold an
 * outbox item past its lease) and cannot be given a CA without the undici package. Everything
 * before it (token, retry with Retry-After, redirects, telemetry) is the SDK's own.
 */
class NodeHttpMessageHandler implements Middleware {
  constructor(
    private readonly ca: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = new URL(typeof context.request === 'string' ? context.request : context.request.url);
    const options = context.options ?? {};
    const body = options.body === undefined || options.body === null ? undefined : String(options.body as string);
    const headers = headerObject(options.headers);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const lib = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.timeoutMs;
    const requestOptions: https.RequestOptions = { method: options.method ?? 'GET', headers, timeout: timeoutMs };
    if (this.ca !== undefined && url.protocol === 'https:') requestOptions.ca = this.ca;
    const { status, statusText, resHeaders, payload } = await new Promise<{
      status: number;
      statusText: string;
      resHeaders: [string, string][];
      payload: Buffer;
    }>((resolve, reject) => {
      const req = lib.request(url, requestOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const pairs = Object.entries(res.headers).flatMap(([k, v]) =>
            v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v] as [string, string]],
          );
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            resHeaders: pairs,
            payload: Buffer.concat(chunks),
          });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
    const nullBody = status === 204 || status === 205 || status === 304;
    context.response = new Response(nullBody ? null : new Uint8Array(payload), {
      status,
      statusText,
      headers: resHeaders,
    });
  }

  setNext(): void {
    // The end of the chain.
  }
}

function retryAfterSeconds(response: Response | undefined): number | null {
  const value = response?.headers?.get('Retry-After');
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isNaN(n) ? Math.max(0, Math.round((new Date(value).getTime() - Date.now()) / 1000)) : n;
}

async function connect(target: GraphTarget, opts: GraphClientOptions): Promise<GraphConnection> {
  const { identity, graph: sdk, authProvider } = await entraSdk.load();
  const { AuthenticationHandler, Client, RedirectHandler, RedirectHandlerOptions, RetryHandler } = sdk;
  const { RetryHandlerOptions, TelemetryHandler } = sdk;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const credential = new identity.ClientSecretCredential(target.tenantId, target.clientId, target.clientSecret, {
    authorityHost: target.authorityHost,
    // MSAL would otherwise ask login.microsoftonline.com which hosts are Microsoft's; the
    // configured authority is trusted as given and its OpenID metadata read from it.
    disableInstanceDiscovery: true,
    retryOptions: {
      maxRetries: retry.maxRetries,
      retryDelayInMs: retry.delaySeconds * 1000,
      maxRetryDelayInMs: retry.maxRetryAfterSeconds * 1000,
    },
    ...(opts.ca === undefined ? {} : { tlsOptions: { ca: opts.ca } }),
  });
  const graph = new URL(target.graphUrl);
  // The token is for Graph as a resource: its origin is its application ID URI in every cloud.
  const scope = `${graph.origin}/.default`;
  const provider = new authProvider.TokenCredentialAuthenticationProvider(credential, { scopes: [scope] });
  const retryOptions = new RetryHandlerOptions(
    retry.delaySeconds,
    retry.maxRetries,
    (_delay, _attempt, _req, _opts, response) => {
      const wait = retryAfterSeconds(response as Response | undefined);
      return wait === null || wait <= retry.maxRetryAfterSeconds;
    },
  );
  const middleware: Middleware[] = [
    new AuthenticationHandler(provider),
    new RetryHandler(retryOptions),
    new RedirectHandler(new RedirectHandlerOptions()),
    new TelemetryHandler(),
    new NodeHttpMessageHandler(opts.ca, opts.timeoutMs ?? GRAPH_TIMEOUT_MS),
  ];
  const client = Client.initWithMiddleware({
    middleware,
    baseUrl: `${graph.origin}/`,
    defaultVersion: 'v1.0',
    // The SDK attaches the token only to Graph's own hosts unless told of others (a test double).
    ...(KNOWN_GRAPH_HOSTS.has(graph.hostname) ? {} : { customHosts: new Set([graph.hostname]) }),
  });
  return { client, credential, scope };
}

/**
 * One credential (and so one MSAL token cache) per app registration and secret: tokens are reused
 * until they near expiry instead of being fetched for every call. A rotated secret is a new entry.
 */
export function graphConnections(opts: GraphClientOptions) {
  const cache = new Map<string, GraphConnection>();
  return async (target: GraphTarget): Promise<GraphConnection> => {
    const secretHash = createHash('sha256').update(target.clientSecret).digest('hex');
    const key = JSON.stringify([target.authorityHost, target.graphUrl, target.tenantId, target.clientId, secretHash]);
    const cached = cache.get(key);
    if (cached) return cached;
    const made = await connect(target, opts);
    // Another call may have connected while the SDK loaded: keep the first, and its token cache.
    const conn = cache.get(key) ?? made;
    if (!cache.has(key) && cache.size >= 32) cache.delete(cache.keys().next().value!);
    cache.set(key, conn);
    return conn;
  };
}
