import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the Kubernetes API: just the RoleBinding endpoints the provisioner uses, with
 * the checks the real API server would make (bearer token, namespace existence, RBAC body shape,
 * roleRef immutability, optimistic concurrency) so that tests fail where a real cluster would.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface StoredRoleBinding {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; apiGroup: string; name: string }[];
}

export interface FakeKubernetes {
  url: string;
  requests: RecordedRequest[];
  bindings(namespace: string): StoredRoleBinding[];
  addNamespace(namespace: string): void;
  /** The next n requests (after recording) answer `status` with a Status object. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const PREFIX = `/apis/${RBAC_GROUP}/v1/namespaces/`;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'AlreadyExists',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function statusObject(code: number, message: string, reason = REASONS[code] ?? 'Unknown') {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 300 ? 'Success' : 'Failure',
    message,
    reason,
    code,
  };
}

/** Returns a description of what is wrong with a RoleBinding body, or null. */
function invalid(body: unknown, name: string | undefined, ns: string): string | null {
  const b = body as Partial<StoredRoleBinding> | null;
  if (!b || typeof b !== 'object') return 'body must be a JSON object';
  if (b.apiVersion !== `${RBAC_GROUP}/v1`) return `apiVersion must be ${RBAC_GROUP}/v1`;
  if (b.kind !== 'RoleBinding') return 'kind must be RoleBinding';
  const m = b.metadata;
  if (!m || typeof m.name !== 'string' || m.name === '' || /[/%]/.test(m.name)) return 'metadata.name: Required value';
  if (name !== undefined && m.name !== name) return 'metadata.name does not match the name in the URL';
  if (m.namespace !== undefined && m.namespace !== ns)
    return 'metadata.namespace does not match the namespace in the URL';
  for (const v of Object.values(m.labels ?? {}))
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) return `invalid label value ${String(v)}`;
  for (const v of Object.values(m.annotations ?? {}))
    if (typeof v !== 'string') return 'annotation values must be strings';
  const r = b.roleRef;
  if (!r || r.apiGroup !== RBAC_GROUP || r.kind !== 'ClusterRole' || !['view', 'edit', 'admin'].includes(r.name))
    return 'roleRef must be a ClusterRole view, edit or admin';
  const subs = b.subjects;
  if (!Array.isArray(subs) || subs.length === 0) return 'subjects: Required value';
  for (const s of subs)
    if (s?.kind !== 'User' || s.apiGroup !== RBAC_GROUP || typeof s.name !== 'string' || s.name === '')
      return 'subjects must be [{kind: User, apiGroup, name}]';
  return null;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export async function startFakeKubernetes(opts: {
  token: string;
  namespaces: string[];
  tls?: { key: string; cert: string };
}): Promise<FakeKubernetes> {
  const namespaces = new Map<string, Map<string, StoredRoleBinding>>(opts.namespaces.map((n) => [n, new Map()]));
  const requests: RecordedRequest[] = [];
  let failures: { left: number; status: number } = { left: 0, status: 500 };
  let version = 0;

  function store(ns: string, body: StoredRoleBinding, uid?: string): StoredRoleBinding {
    version += 1;
    const stored = structuredClone(body);
    stored.metadata = {
      ...stored.metadata,
      namespace: ns,
      uid: uid ?? `uid-${version}`,
      resourceVersion: String(version),
    };
    namespaces.get(ns)?.set(stored.metadata.name, stored);
    return stored;
  }

  function handle(req: http.IncomingMessage, raw: string): [number, unknown] {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
    if (failures.left > 0) {
      failures.left -= 1;
      return [failures.status, statusObject(failures.status, `injected failure ${failures.status}`)];
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) return [401, statusObject(401, 'Unauthorized')];
    const match = url.pathname.startsWith(PREFIX)
      ? /^([^/]+)\/rolebindings(?:\/([^/]+))?$/.exec(url.pathname.slice(PREFIX.length))
      : null;
    if (!match) return [404, statusObject(404, 'the server could not find the requested resource')];
    const ns = decodeURIComponent(match[1] ?? '');
    const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const bindings = namespaces.get(ns);
    if (!bindings) return [404, statusObject(404, `namespaces "${ns}" not found`)];
    const existing = name === undefined ? undefined : bindings.get(name);
    const notFound = statusObject(404, `rolebindings.${RBAC_GROUP} "${name}" not found`);

    if (name === undefined && req.method === 'GET')
      return [
        200,
        { kind: 'RoleBindingList', apiVersion: `${RBAC_GROUP}/v1`, metadata: {}, items: [...bindings.values()] },
      ];
    if (name === undefined && req.method === 'POST') {
      const problem = invalid(body, undefined, ns);
      if (problem) return [422, statusObject(422, `RoleBinding is invalid: ${problem}`)];
      const b = body as StoredRoleBinding;
      if (bindings.has(b.metadata.name))
        return [409, statusObject(409, `rolebindings.${RBAC_GROUP} "${b.metadata.name}" already exists`)];
      return [201, store(ns, b)];
    }
    if (name === undefined) return [405, statusObject(405, 'method not allowed', 'MethodNotAllowed')];
    if (!existing) return [404, notFound];
    switch (req.method) {
      case 'GET':
        return [200, existing];
      case 'DELETE':
        bindings.delete(name);
        return [200, statusObject(200, 'deleted', '')];
      case 'PUT':
      case 'PATCH': {
        if (req.method === 'PATCH' && req.headers['content-type'] !== 'application/merge-patch+json')
          return [415, statusObject(415, 'only merge patches are supported by the fake')];
        const next = (req.method === 'PUT' ? body : mergePatch(existing, body)) as StoredRoleBinding;
        const problem = invalid(next, name, ns);
        if (problem) return [422, statusObject(422, `RoleBinding is invalid: ${problem}`)];
        const rv = next.metadata.resourceVersion;
        if (req.method === 'PUT' && rv !== undefined && rv !== existing.metadata.resourceVersion)
          return [409, statusObject(409, 'the object has been modified', 'Conflict')];
        if (JSON.stringify(next.roleRef) !== JSON.stringify(existing.roleRef))
          return [422, statusObject(422, 'RoleBinding is invalid: roleRef: Invalid value: cannot change roleRef')];
        return [200, store(ns, next, existing.metadata.uid)];
      }
      default:
        return [405, statusObject(405, 'method not allowed', 'MethodNotAllowed')];
    }
  }

  const listener: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [status, payload] = handle(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  };
  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener)
    : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    bindings: (ns) => [...(namespaces.get(ns)?.values() ?? [])],
    addNamespace: (ns) => void (namespaces.has(ns) || namespaces.set(ns, new Map())),
    failNext: (n, status) => void (failures = { left: n, status }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
