import { createHash, randomBytes } from 'node:crypto';

/**
 * The IAM allow-policy model of the Google Cloud double: bindings, conditions, etags and the policy
 * versions as Resource Manager renders and checks them. Pure; the HTTP side is gcp-double.ts.
 */
export interface Condition {
  title: string;
  description?: string;
  expression: string;
}

export interface Binding {
  role: string;
  members: string[];
  condition?: Condition;
}

export interface Policy {
  version?: number;
  etag?: string;
  bindings?: Binding[];
  auditConfigs?: unknown[];
}

export interface StoredPolicy {
  etag: string;
  bindings: Binding[];
  auditConfigs?: unknown[];
}

/** Google's legacy basic roles: IAM refuses them in conditional role bindings. */
export const BASIC_ROLES = ['roles/owner', 'roles/editor', 'roles/viewer'];

export const newEtag = (): string => randomBytes(8).toString('base64');

const clone = <T>(value: T): T => structuredClone(value);

/** A comparison of request.time with a timestamp; a condition is a conjunction (&&) of them. */
interface TimeClause {
  op: '<' | '<=' | '>' | '>=';
  at: Date;
}

const CLAUSE = /^request\.time\s*(<=|>=|<|>)\s*timestamp\(\s*(?:"([^"]+)"|'([^']+)')\s*\)$/;

/**
 * Parses the CEL the double understands: `request.time < timestamp("…")` and its <=, >, >= siblings,
 * joined with &&. Anything else is null: the double refuses it rather than guessing what Google does.
 */
export function parseCondition(expression: string): TimeClause[] | null {
  const parts = expression.split('&&').map((p) =>
    p
      .trim()
      .replace(/^\((.*)\)$/, '$1')
      .trim(),
  );
  const clauses: TimeClause[] = [];
  for (const part of parts) {
    const m = CLAUSE.exec(part);
    if (!m) return null;
    const text = m[2] ?? m[3]!;
    // CEL timestamps are RFC 3339 with a zone: Date.parse alone would take a local time.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
    const at = new Date(text);
    if (Number.isNaN(at.getTime())) return null;
    clauses.push({ op: m[1] as TimeClause['op'], at });
  }
  return clauses;
}

/** Does a binding's condition allow a request made at `at`? No condition: always. */
export function conditionHolds(condition: Condition | undefined, at: Date): boolean {
  if (!condition) return true;
  const clauses = parseCondition(condition.expression);
  if (!clauses) return false;
  const t = at.getTime();
  return clauses.every(({ op, at: c }) =>
    op === '<' ? t < c.getTime() : op === '<=' ? t <= c.getTime() : op === '>' ? t > c.getTime() : t >= c.getTime(),
  );
}

const sameCondition = (a: Condition | undefined, b: Condition | undefined) =>
  (a === undefined && b === undefined) ||
  (a !== undefined &&
    b !== undefined &&
    a.title === b.title &&
    (a.description ?? '') === (b.description ?? '') &&
    a.expression === b.expression);

/** IAM keeps one binding per role and condition: writes naming the same pair twice are merged. */
export function normalize(bindings: Binding[]): Binding[] {
  const out: Binding[] = [];
  for (const b of bindings) {
    const members = [...new Set(b.members)];
    if (members.length === 0) continue;
    const same = out.find((o) => o.role === b.role && sameCondition(o.condition, b.condition));
    if (same) same.members = [...new Set([...same.members, ...members])];
    else out.push({ role: b.role, members, ...(b.condition ? { condition: clone(b.condition) } : {}) });
  }
  return out;
}

const MEMBER =
  /^(user|group|serviceAccount|domain|deleted:user|deleted:group|deleted:serviceAccount):[^\s]+$|^principal(Set)?:\/\/[^\s]+$|^(allUsers|allAuthenticatedUsers)$/;
const ROLE = /^(roles\/[A-Za-z0-9_.]+|(projects|organizations)\/[A-Za-z0-9_.:-]+\/roles\/[A-Za-z0-9_.]+)$/;

/**
 * What Resource Manager would refuse in a setIamPolicy body, as [status, message], or null.
 * `knownUsers`, when given, are the only `user:` accounts that exist; `allowedDomains` models a
 * domain-restricted-sharing organization policy. Members already in the stored policy passed these
 * checks when they were added.
 */
export function checkPolicy(
  policy: Policy,
  { knownUsers, allowedDomains }: { knownUsers: ReadonlySet<string> | null; allowedDomains: readonly string[] | null },
  stored: StoredPolicy,
): [number, string, string] | null {
  const existing = new Set(stored.bindings.flatMap((b) => b.members));
  const bindings = policy.bindings ?? [];
  if (!Array.isArray(bindings))
    return [
      400,
      'INVALID_ARGUMENT',
      'Invalid JSON payload received. Unknown name "bindings": Proto field is not repeating, cannot start list.',
    ];
  const conditional = bindings.some((b) => b.condition);
  if (policy.version !== undefined && ![0, 1, 3].includes(policy.version))
    return [400, 'INVALID_ARGUMENT', `Invalid policy version ${policy.version}; valid values are 0, 1 and 3.`];
  if (conditional && policy.version !== 3)
    return [400, 'INVALID_ARGUMENT', 'Policies with conditional role bindings must be set with policy version 3.'];
  for (const b of bindings) {
    if (typeof b.role !== 'string' || !ROLE.test(b.role))
      return [400, 'INVALID_ARGUMENT', `Role ${String(b.role)} is not supported for this resource.`];
    if (!Array.isArray(b.members)) return [400, 'INVALID_ARGUMENT', 'Every binding needs members.'];
    for (const m of b.members) {
      if (typeof m !== 'string' || !MEMBER.test(m)) return [400, 'INVALID_ARGUMENT', `Invalid member: ${String(m)}`];
      if (!m.startsWith('user:') || existing.has(m)) continue;
      if (knownUsers && !knownUsers.has(m.slice(5).toLowerCase()))
        return [400, 'INVALID_ARGUMENT', `User ${m.slice(5)} does not exist.`];
      // Domain restricted sharing (an organization policy): only accounts of the allowed domains.
      if (allowedDomains && !allowedDomains.includes(m.slice(m.indexOf('@') + 1).toLowerCase()))
        return [
          400,
          'FAILED_PRECONDITION',
          'One or more users named in the policy do not belong to a permitted customer.',
        ];
    }
    if (!b.condition) continue;
    if (BASIC_ROLES.includes(b.role))
      return [400, 'INVALID_ARGUMENT', `Conditions are not supported for the basic role ${b.role}.`];
    if (b.members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers'))
      return [400, 'INVALID_ARGUMENT', 'Conditions are not supported for allUsers and allAuthenticatedUsers.'];
    const c = b.condition;
    if (typeof c.title !== 'string' || c.title === '' || c.title.length > 100)
      return [400, 'INVALID_ARGUMENT', 'A condition needs a title of at most 100 characters.'];
    if (c.description !== undefined && (typeof c.description !== 'string' || c.description.length > 256))
      return [400, 'INVALID_ARGUMENT', 'A condition description may have at most 256 characters.'];
    if (typeof c.expression !== 'string' || !parseCondition(c.expression))
      return [
        400,
        'INVALID_ARGUMENT',
        `The double only understands request.time comparisons; refused condition expression: ${String(c.expression)}`,
      ];
  }
  return null;
}

/**
 * The policy as getIamPolicy answers for a requested version. Asked for less than 3 while
 * conditional bindings exist, IAM drops each condition and mangles its role to `<role>_withcond_<hash>`
 * so an old client cannot mistake conditional access for unconditional (or write it back as such).
 */
export function render(stored: StoredPolicy, requested: number): Policy {
  const conditional = stored.bindings.some((b) => b.condition);
  const bindings = stored.bindings.map((b) => {
    if (!b.condition || requested >= 3) return clone(b);
    const hash = createHash('sha256').update(JSON.stringify(b.condition)).digest('hex').slice(0, 20);
    return { role: `${b.role}_withcond_${hash}`, members: [...b.members] };
  });
  return {
    version: conditional && requested >= 3 ? 3 : 1,
    etag: stored.etag,
    ...(bindings.length > 0 ? { bindings } : {}),
    ...(stored.auditConfigs ? { auditConfigs: clone(stored.auditConfigs) } : {}),
  };
}
