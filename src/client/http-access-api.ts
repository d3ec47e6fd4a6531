import {
  ApiError,
  agentHeaderValue,
  type AccessApi,
  type ApiErrorBody,
  type Channel,
  type CreateRequestBody,
  type ExtendRequestBody,
  type RequestDto,
  type RequestableBundleDto,
  type RequestableDto,
  type WaitDto,
} from '../domain/request-api.js';

/**
 * The request API over HTTP (`/api/v1/…`), as the CLI and the MCP server's stdio mode reach the bot. Every
 * refusal is an ApiError with the server's own body (code, sentence, fields); a bot that cannot be reached or
 * that answers something else than its JSON is an ApiError too, whose sentence names the URL, so a caller
 * never has to read a stack trace or a fetch failure.
 */
export interface HttpAccessApiOptions {
  /** The bot's base URL (where people reach its pages; PUBLIC_URL), with or without a path prefix. */
  url: string;
  /** The personal token's secret (`ark_pat_…`). */
  token: string;
  channel: Exclude<Channel, 'slack' | 'api'>;
  /** An AI agent's name (MCP client), recorded on what it does. */
  agent?: string | null;
  fetch?: typeof globalThis.fetch;
  /** Client name and version sent as User-Agent (the server's logs, never its decisions). */
  userAgent?: string;
}

/** Who a token belongs to (GET /api/v1/me). */
export interface MeDto {
  user: { id: string; name?: string | null; email?: string | null } | string;
  token: { id: string; name: string; expires_at: string | null };
}

export interface HttpAccessApi extends AccessApi {
  me(): Promise<MeDto>;
  /** The base URL as given, for sentences ("… at https://access.corp.example"). */
  readonly url: string;
}

/** `ApiError.status` when no HTTP answer came at all (the bot down, a wrong host, a timeout). */
export const NO_ANSWER = 0;

/** The longest Retry-After the client waits out on its own (seconds); a longer one is the caller's to see. */
const MAX_RETRY_AFTER_SECONDS = 60;
/** Per call; a long poll gets its own timeout on top of this. */
const CALL_TIMEOUT_MS = 30_000;

/** `base` + `path` (no leading slash), keeping a path prefix of the base (a bot behind /access/). */
export function apiUrl(base: string, path: string): URL {
  const root = new URL(base);
  if (!root.pathname.endsWith('/')) root.pathname += '/';
  root.search = '';
  root.hash = '';
  return new URL(path, root);
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

const isErrorBody = (x: unknown): x is ApiErrorBody =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as ApiErrorBody).error === 'string' &&
  typeof (x as ApiErrorBody).message === 'string';

/** Why fetch failed, in words (Node wraps the socket error as `cause`). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  if ((error as { name?: string })?.name === 'TimeoutError') return 'it did not answer in time';
  if (code === 'ECONNREFUSED') return 'the connection was refused (is the bot running there?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'that host name is not known';
  if (code === 'ECONNRESET') return 'the connection was closed';
  if (code && /CERT|TLS|SSL/.test(code)) return `its TLS certificate was refused (${code})`;
  return code ? `the connection failed (${code})` : 'the connection failed';
}

/**
 * One JSON call to the bot, unauthenticated or not. Also used for the login endpoints (which need no token),
 * so every call shares the same refusal sentences.
 */
export async function callJson<T>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  options: {
    headers?: Record<string, string>;
    body?: unknown;
    fetch?: typeof globalThis.fetch;
    timeoutMs?: number;
    /** Retry a 429 once after its Retry-After (default on). */
    retry429?: boolean;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): Promise<T> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const url = apiUrl(base, path);
  const where = url.origin + (new URL(base).pathname.replace(/\/$/, '') || '');
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? CALL_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      throw new ApiError(NO_ANSWER, {
        error: 'unreachable',
        message: `Could not reach the access bot at ${where}: ${networkReason(error)}.`,
      });
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const wait = retryAfterSeconds(response.headers.get('retry-after'));
    if (
      response.status === 429 &&
      attempt === 0 &&
      options.retry429 !== false &&
      wait !== null &&
      wait <= MAX_RETRY_AFTER_SECONDS
    ) {
      await sleep(wait * 1000);
      continue;
    }
    if (response.ok && body !== undefined) return body as T;
    if (!response.ok && isErrorBody(body)) {
      const fields =
        body.fields && typeof body.fields === 'object'
          ? Object.fromEntries(Object.entries(body.fields).filter(([, v]) => typeof v === 'string'))
          : undefined;
      throw new ApiError(response.status, {
        error: body.error,
        message: body.message,
        ...(fields && Object.keys(fields).length > 0 ? { fields } : {}),
      });
    }
    // Our own server's answer without a sentence (a route this bot does not have: an older version).
    const code = (body as { error?: unknown } | undefined)?.error;
    if (!response.ok && typeof code === 'string' && /^[a-z_]{1,40}$/.test(code))
      throw new ApiError(response.status, {
        error: code,
        message: `The access bot at ${where} answered HTTP ${response.status} (${code})${response.status === 404 ? ': is it a version without the request API?' : '.'}`,
      });
    throw new ApiError(response.status, {
      error: 'bad_response',
      message: `The server at ${where} answered HTTP ${response.status} without the access bot's JSON: is that the bot's address?`,
    });
  }
}

/** The request API as one person sees it, over HTTP with their personal token. */
export function createHttpAccessApi(options: HttpAccessApiOptions): HttpAccessApi {
  // Refuse a malformed URL now, in a sentence, rather than at the first call.
  if (!URL.canParse(options.url) || !/^https?:$/.test(new URL(options.url).protocol))
    throw new ApiError(NO_ANSWER, {
      error: 'invalid_url',
      message: `${JSON.stringify(options.url)} is not an http(s) URL of the access bot.`,
    });
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token}`,
    'x-access-channel': options.channel,
    ...(agentHeaderValue(options.agent) ? { 'x-access-agent': agentHeaderValue(options.agent)! } : {}),
    ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
  };
  const call = <T>(
    method: 'GET' | 'POST',
    path: string,
    extra: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
  ) =>
    callJson<T>(options.url, method, path, {
      ...extra,
      headers: { ...headers, ...extra.headers },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  const id = (requestId: string) => encodeURIComponent(requestId);
  const idempotency = (key: string | undefined) => (key ? { 'idempotency-key': key } : undefined);

  return {
    url: options.url,
    me: () => call<MeDto>('GET', 'api/v1/me'),
    async requestable() {
      const body = await call<RequestableDto[] | { resources: RequestableDto[] }>('GET', 'api/v1/requestable');
      return Array.isArray(body) ? body : body.resources;
    },
    async bundles() {
      // A server from before bundles answers without them: none to pick.
      const body = await call<{ bundles?: RequestableBundleDto[] } | unknown[]>('GET', 'api/v1/requestable');
      return Array.isArray(body) ? [] : (body.bundles ?? []);
    },
    async create(request: CreateRequestBody, idempotencyKey?: string) {
      const body = await call<{ requests: RequestDto[] }>('POST', 'api/v1/requests', {
        body: request,
        ...(idempotency(idempotencyKey) ? { headers: idempotency(idempotencyKey) } : {}),
      });
      return body.requests;
    },
    get: (requestId) => call<RequestDto>('GET', `api/v1/requests/${id(requestId)}`),
    async listMine(filter = {}) {
      const q = new URLSearchParams();
      if (filter.status) q.set('status', filter.status);
      if (filter.limit !== undefined) q.set('limit', String(filter.limit));
      const query = q.size > 0 ? `?${q}` : '';
      return (await call<{ requests: RequestDto[] }>('GET', `api/v1/requests${query}`)).requests;
    },
    cancel: (requestId) => call<RequestDto>('POST', `api/v1/requests/${id(requestId)}/cancel`),
    release: (requestId) => call<RequestDto>('POST', `api/v1/requests/${id(requestId)}/release`),
    extend: (requestId: string, body: ExtendRequestBody, idempotencyKey?: string) =>
      call<RequestDto>('POST', `api/v1/requests/${id(requestId)}/extend`, {
        body,
        ...(idempotency(idempotencyKey) ? { headers: idempotency(idempotencyKey) } : {}),
      }),
    wait(requestId, filter = {}) {
      const q = new URLSearchParams();
      if (filter.status) q.set('status', filter.status);
      if (filter.timeoutSeconds !== undefined) q.set('timeout', String(filter.timeoutSeconds));
      const query = q.size > 0 ? `?${q}` : '';
      // The server holds the call up to its timeout (at most 60 s): wait a little longer than that.
      const timeoutMs = (Math.min(filter.timeoutSeconds ?? 60, 60) + 15) * 1000;
      return call<WaitDto>('GET', `api/v1/requests/${id(requestId)}/wait${query}`, { timeoutMs });
    },
  };
}
