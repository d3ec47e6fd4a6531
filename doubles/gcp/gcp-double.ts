import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkPolicy,
  conditionHolds,
  newEtag,
  normalize,
  render,
  type Binding,
  type Policy,
  type StoredPolicy,
} from './iam-policy.js';
import { createTokenIssuer } from './oauth-token.js';

/**
 * A local Google Cloud for the gcp provisioner: the OAuth token endpoint a service-account key mints
 * tokens at, and Cloud Resource Manager v3's getIamPolicy / setIamPolicy for projects and folders,
 * with Google's checks (bearer tokens and scopes, etags, policy versions, condition rules) and error
 * shapes. `hasAccess` evaluates the expiry conditions, so a test can see access end in "Google"
 * whatever the bot does. See README.md beside this file for what it does not model.
 */
export interface GcpDoubleOptions {
  /** Service accounts allowed to mint tokens: their e-mail and the public half of their key. */
  serviceAccounts: { email: string; publicKeyPem: string }[];
  /** Project ids that exist (each starts with one owner binding); the others answer 403. */
  projects?: string[];
  /** Folder numbers that exist. */
  folders?: string[];
  /** The Google accounts that exist (e-mails); when given, binding anyone else is refused like Google does. */
  knownUsers?: string[];
  /** Domain restricted sharing: new `user:` members outside these domains are refused (400 FAILED_PRECONDITION). */
  allowedDomains?: string[];
}

export interface RecordedCall {
  method: string;
  resource: string;
  status: number;
  body: Record<string, unknown>;
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const ROUTE = /^\/v3\/(projects|folders)\/([^/:]+):(getIamPolicy|setIamPolicy)$/;
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const FAULT_MESSAGES: Record<number, string> = {
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  403: 'The caller does not have permission',
  429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'cloudresourcemanager.googleapis.com'.",
  500: 'Internal error encountered.',
  503: 'The service is currently unavailable.',
};

function googleError(
  res: http.ServerResponse,
  code: number,
  message: string,
  status = STATUS_NAMES[code] ?? 'UNKNOWN',
) {
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify({ error: { code, message, status } }));
}

function sendJson(res: http.ServerResponse, code: number, body: unknown) {
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

async function readText(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startGcpDouble(options: GcpDoubleOptions) {
  let url = '';
  const issuer = createTokenIssuer(options.serviceAccounts, () => `${url}/token`);
  const policies = new Map<string, StoredPolicy>();
  for (const p of options.projects ?? [])
    policies.set(`projects/${p}`, {
      etag: newEtag(),
      bindings: [{ role: 'roles/owner', members: ['user:owner@example.com'] }],
    });
  for (const f of options.folders ?? [])
    policies.set(`folders/${f}`, {
      etag: newEtag(),
      bindings: [{ role: 'roles/resourcemanager.folderAdmin', members: ['group:cloud-admins@example.com'] }],
    });
  const knownUsers = options.knownUsers ? new Set(options.knownUsers.map((u) => u.toLowerCase())) : null;
  const calls: RecordedCall[] = [];
  const tokenRequests: { status: number; error?: string }[] = [];
  let faults: { times: number; status: number } = { times: 0, status: 503 };
  let down = false;
  let denied = false;
  let concurrentWrites = 0;
  let otherWrites = 0;

  const policyOf = (resource: string): StoredPolicy => {
    const p = policies.get(resource);
    if (!p) throw new Error(`the double has no ${resource}`);
    return p;
  };
  /** Another writer changes the policy: a binding of its own, and a new etag. */
  const writeBehindTheBotsBack = (resource: string) => {
    const p = policyOf(resource);
    p.bindings = normalize([
      ...p.bindings,
      { role: 'roles/logging.viewer', members: [`user:other-writer-${++otherWrites}@example.com`] },
    ]);
    p.etag = newEtag();
  };

  async function handleIam(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    kind: string,
    id: string,
    method: string,
  ) {
    const resource = `${kind}/${id}`;
    const text = await readText(req);
    let body: Record<string, unknown> = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      return googleError(res, 400, `Invalid JSON payload received. Unexpected token.\n${text.slice(0, 40)}`);
    }
    const answer = (status: number) => calls.push({ method, resource, status, body });
    const token = issuer.check(req.headers.authorization, Date.now());
    if (token === 'missing' || token === 'invalid') {
      answer(401);
      return googleError(
        res,
        401,
        token === 'missing'
          ? 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
          : FAULT_MESSAGES[401]!,
      );
    }
    if (!token.scopes.includes(CLOUD_PLATFORM)) {
      answer(403);
      return googleError(res, 403, 'Request had insufficient authentication scopes.');
    }
    if (down || faults.times > 0) {
      const status = down ? 503 : faults.status;
      if (!down) faults.times -= 1;
      answer(status);
      return googleError(res, status, FAULT_MESSAGES[status] ?? 'Fault injected by the double.');
    }
    const permission = `resourcemanager.${kind}.${method}`;
    const stored = policies.get(resource);
    if (denied || !stored) {
      answer(403);
      return googleError(
        res,
        403,
        `Permission '${permission}' denied on resource '//cloudresourcemanager.googleapis.com/${resource}' (or it may not exist).`,
      );
    }
    if (method === 'getIamPolicy') {
      const requested = Number(
        (body.options as { requestedPolicyVersion?: unknown } | undefined)?.requestedPolicyVersion ?? 0,
      );
      if (![0, 1, 3].includes(requested)) {
        answer(400);
        return googleError(res, 400, `Invalid requested policy version ${requested}; valid values are 0, 1 and 3.`);
      }
      answer(200);
      sendJson(res, 200, render(stored, requested));
      if (concurrentWrites > 0) {
        concurrentWrites -= 1;
        writeBehindTheBotsBack(resource);
      }
      return;
    }
    const policy = body.policy as Policy | undefined;
    if (!policy || typeof policy !== 'object') {
      answer(400);
      return googleError(res, 400, 'Request contains an invalid argument.');
    }
    if (policy.etag !== undefined && policy.etag !== stored.etag) {
      answer(409);
      return googleError(
        res,
        409,
        `There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '${policy.etag}' did not match the current policy's ETag '${stored.etag}'.`,
      );
    }
    const problem = checkPolicy(
      policy,
      { knownUsers, allowedDomains: options.allowedDomains?.map((d) => d.toLowerCase()) ?? null },
      stored,
    );
    if (problem) {
      answer(problem[0]);
      return googleError(res, problem[0], problem[2], problem[1]);
    }
    stored.bindings = normalize(policy.bindings ?? []);
    if (policy.auditConfigs) stored.auditConfigs = policy.auditConfigs;
    stored.etag = newEtag();
    answer(200);
    sendJson(res, 200, render(stored, 3));
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://double').pathname;
    void (async () => {
      if (req.method === 'POST' && path === '/token') {
        const answer = issuer.exchange(new URLSearchParams(await readText(req)), Date.now());
        tokenRequests.push({
          status: answer.status,
          ...('error' in answer.body ? { error: `${answer.body.error}: ${answer.body.error_description}` } : {}),
        });
        return sendJson(res, answer.status, answer.body);
      }
      const route = ROUTE.exec(path);
      if (req.method === 'POST' && route)
        return handleIam(req, res, route[1]!, decodeURIComponent(route[2]!), route[3]!);
      googleError(res, 404, `The requested URL ${path} was not found on this server.`, 'NOT_FOUND');
    })().catch((err: unknown) => {
      if (!res.headersSent) googleError(res, 500, `double failed: ${(err as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    /** Every Resource Manager call, with the body the bot sent and the status it got. */
    calls,
    /** Every token request's outcome (never the assertion or the token). */
    tokenRequests,
    /** A copy of a resource's stored policy (`projects/p` or `folders/123`), conditions and all. */
    policy: (resource: string): StoredPolicy => structuredClone(policyOf(resource)),
    /** The bindings of a resource that name this member. */
    bindingsOf: (resource: string, member: string): Binding[] =>
      structuredClone(policyOf(resource).bindings.filter((b) => b.members.includes(member))),
    /** Would Google let `member` use `role` at time `at`? Evaluates every binding's condition. */
    hasAccess(member: string, role: string, at: Date, resource?: string): boolean {
      const where = resource ? [policyOf(resource)] : [...policies.values()];
      return where.some((p) =>
        p.bindings.some((b) => b.role === role && b.members.includes(member) && conditionHolds(b.condition, at)),
      );
    },
    /** A hand edit in the console: change the bindings; the etag moves as in Google. */
    editPolicy(resource: string, edit: (bindings: Binding[]) => Binding[]) {
      const p = policyOf(resource);
      p.bindings = normalize(edit(structuredClone(p.bindings)));
      p.etag = newEtag();
    },
    /** The next n Resource Manager calls answer this status (429, 500, 503, 401, 403) with Google's error body. */
    failNext(times: number, status: number) {
      faults = { times, status };
    },
    /** While down, every Resource Manager call answers 503 UNAVAILABLE. */
    setDown(value: boolean) {
      down = value;
    },
    /** While denied, every Resource Manager call answers 403 PERMISSION_DENIED, as for an account without the role. */
    setDenied(value: boolean) {
      denied = value;
    },
    /** After each of the next n getIamPolicy answers another writer changes that policy, so a set with the etag read fails. */
    concurrentWriteAfterNextReads(times = 1) {
      concurrentWrites = times;
    },
    revokeTokens: () => issuer.revokeAll(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Client libraries keep connections alive; close would wait for them.
        server.closeAllConnections();
      }),
  };
}

export type GcpDouble = Awaited<ReturnType<typeof startGcpDouble>>;
