import type { DoubleUser, TokenClaims } from './state.js';

/** The pieces of Graph's query language and errors the double's endpoints share. */

export const READ_USERS = [
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];
export const FULL_USERS = READ_USERS.slice(1);
export const READ_GROUPS = [
  'GroupMember.Read.All',
  'GroupMember.ReadWrite.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];
export const WRITE_MEMBERS = ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'];
/** What User.ReadBasic.All lets an app read, and therefore $select and $filter on. */
export const BASIC_USER_PROPS = ['id', 'displayName', 'givenName', 'surname', 'mail', 'userPrincipalName'];
const USER_PROPS = [...BASIC_USER_PROPS, 'accountEnabled'];
const FILTERABLE = ['id', 'mail', 'userPrincipalName', 'displayName', 'accountEnabled'];
const DEFAULT_PAGE = 100;
const MAX_PAGE = 999;

export class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (id: string) =>
  new GraphFailure(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
export const denied = () =>
  new GraphFailure(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

export function need(claims: TokenClaims, any: string[]) {
  if (!claims.roles.some((r) => any.includes(r))) throw denied();
}

/** `prop eq 'value'` clauses joined by `or` (the subset of OData this needs); '' is an escaped quote. */
export function parseFilter(filter: string): { prop: string; value: string }[] {
  const clauses: { prop: string; value: string }[] = [];
  let rest = filter.trim();
  for (;;) {
    const m = /^(\w+)\s+eq\s+'((?:[^']|'')*)'\s*/i.exec(rest);
    if (!m) throw new GraphFailure(400, 'BadRequest', 'Invalid filter clause: syntax error.');
    const prop = m[1]!;
    if (!FILTERABLE.includes(prop))
      throw new GraphFailure(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`,
      );
    clauses.push({ prop, value: m[2]!.replace(/''/g, "'") });
    rest = rest.slice(m[0].length);
    if (rest === '') return clauses;
    const or = /^or\s+/i.exec(rest);
    if (!or)
      throw new GraphFailure(
        400,
        'Request_UnsupportedQuery',
        'Unsupported query: only eq clauses joined by or are modelled.',
      );
    rest = rest.slice(or[0].length);
  }
}

export function selectedProps(query: URLSearchParams, claims: TokenClaims): string[] {
  const basicOnly = !claims.roles.some((r) => FULL_USERS.includes(r));
  const select = query.get('$select');
  const props = select ? select.split(',').map((s) => s.trim()) : basicOnly ? BASIC_USER_PROPS : USER_PROPS;
  for (const p of props) {
    if (!USER_PROPS.includes(p))
      throw new GraphFailure(
        400,
        'BadRequest',
        `Could not find a property named '${p}' on type 'microsoft.graph.user'.`,
      );
    if (basicOnly && !BASIC_USER_PROPS.includes(p)) throw denied();
  }
  return props;
}

export const project = (u: DoubleUser, props: string[]) =>
  Object.fromEntries(props.map((p) => [p, u[p as keyof DoubleUser]]));

export function pageSize(query: URLSearchParams): number {
  const top = query.get('$top');
  if (top === null) return DEFAULT_PAGE;
  const n = Number(top);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw new GraphFailure(
      400,
      'Request_UnsupportedQuery',
      `Invalid page size specified: '${top}'. Must be between 1 and ${MAX_PAGE} inclusive.`,
    );
  return n;
}
