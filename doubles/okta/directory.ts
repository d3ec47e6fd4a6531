import { randomBytes } from 'node:crypto';

/**
 * The Okta double's state: users, groups and memberships, and the JSON shapes Okta's Management API
 * answers with (`/api/v1/users`, `/api/v1/groups`). Kept apart from the HTTP layer so tests and the
 * sandbox can edit it by hand (drift) without going through the API.
 */
export type OktaUserStatus =
  'STAGED' | 'PROVISIONED' | 'ACTIVE' | 'RECOVERY' | 'PASSWORD_EXPIRED' | 'LOCKED_OUT' | 'SUSPENDED' | 'DEPROVISIONED';

export interface OktaUserRecord {
  id: string;
  status: OktaUserStatus;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  created: string;
  /** Okta's profile.managerId (a user id or login), when set. */
  managerId?: string;
}

export interface OktaGroupRecord {
  id: string;
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
  name: string;
  description: string;
  created: string;
  members: Set<string>;
  lastMembershipUpdated: string;
  /** Custom group profile attributes (an Okta admin adds them to the group profile schema), e.g. jitEligible. */
  attributes: Record<string, string | number | boolean>;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Okta ids are 20 characters: a 3-character kind prefix (00u users, 00g groups) and 17 random ones. */
export function oktaId(prefix: '00u' | '00g'): string {
  return prefix + [...randomBytes(17)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

export class OktaDirectory {
  readonly users = new Map<string, OktaUserRecord>();
  readonly groups = new Map<string, OktaGroupRecord>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  addUser(u: {
    login: string;
    email?: string;
    status?: OktaUserStatus;
    firstName?: string;
    lastName?: string;
    id?: string;
    /** The profile's `managerId` (an Okta user id or login), as HR-driven orgs set it. */
    managerId?: string;
  }): OktaUserRecord {
    if (this.userByLogin(u.login)) throw new Error(`an Okta user with login ${u.login} exists already`);
    const record: OktaUserRecord = {
      id: u.id ?? oktaId('00u'),
      status: u.status ?? 'ACTIVE',
      login: u.login,
      email: u.email ?? u.login,
      firstName: u.firstName ?? u.login.split('@')[0] ?? u.login,
      lastName: u.lastName ?? 'Example',
      created: this.now().toISOString(),
      ...(u.managerId ? { managerId: u.managerId } : {}),
    };
    this.users.set(record.id, record);
    return record;
  }

  addGroup(g: {
    name: string;
    type?: OktaGroupRecord['type'];
    description?: string;
    id?: string;
    attributes?: OktaGroupRecord['attributes'];
  }): OktaGroupRecord {
    const at = this.now().toISOString();
    const record: OktaGroupRecord = {
      id: g.id ?? oktaId('00g'),
      type: g.type ?? 'OKTA_GROUP',
      name: g.name,
      description: g.description ?? '',
      created: at,
      members: new Set(),
      lastMembershipUpdated: at,
      attributes: { ...g.attributes },
    };
    this.groups.set(record.id, record);
    return record;
  }

  /** Okta logins are unique and compared without regard to case. */
  userByLogin(login: string): OktaUserRecord | undefined {
    const wanted = login.toLowerCase();
    return [...this.users.values()].find((u) => u.login.toLowerCase() === wanted);
  }

  /** `GET /api/v1/users/{id}` takes an id, a login, or an unambiguous login short name. */
  findUser(idOrLogin: string): OktaUserRecord | undefined {
    const byId = this.users.get(idOrLogin);
    if (byId) return byId;
    const byLogin = this.userByLogin(idOrLogin);
    if (byLogin) return byLogin;
    const short = [...this.users.values()].filter(
      (u) => u.login.split('@')[0]?.toLowerCase() === idOrLogin.toLowerCase(),
    );
    return short.length === 1 ? short[0] : undefined;
  }

  setMember(groupId: string, userId: string, member: boolean): void {
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`no Okta group ${groupId}`);
    if (member) group.members.add(userId);
    else group.members.delete(userId);
    group.lastMembershipUpdated = this.now().toISOString();
  }

  userJson(u: OktaUserRecord, base: string) {
    return {
      id: u.id,
      status: u.status,
      created: u.created,
      activated: u.status === 'STAGED' ? null : u.created,
      statusChanged: u.created,
      lastLogin: null,
      lastUpdated: u.created,
      passwordChanged: null,
      type: { id: 'oty1234567890abcdefg' },
      profile: {
        firstName: u.firstName,
        lastName: u.lastName,
        mobilePhone: null,
        secondEmail: null,
        login: u.login,
        email: u.email,
        ...(u.managerId ? { managerId: u.managerId } : {}),
      },
      credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `${base}/api/v1/users/${u.id}` } },
    };
  }

  groupJson(g: OktaGroupRecord, base: string) {
    return {
      id: g.id,
      created: g.created,
      lastUpdated: g.created,
      lastMembershipUpdated: g.lastMembershipUpdated,
      objectClass: ['okta:user_group'],
      type: g.type,
      profile: { ...g.attributes, name: g.name, description: g.description },
      _links: {
        self: { href: `${base}/api/v1/groups/${g.id}` },
        users: { href: `${base}/api/v1/groups/${g.id}/users` },
      },
    };
  }
}

/**
 * Group search (`GET /api/v1/groups?search=`): clauses `<property> eq|sw|co <literal>` joined by `and`, where
 * the property is `type`, `id` or `profile.<attribute>` (any, custom ones too) and the literal a quoted
 * string, `true`, `false` or a number. Strings compare without regard to case; `co` only on profile.name and
 * profile.description, as Okta allows. Null: a search Okta would refuse (400 E0000031).
 */
export function parseGroupSearch(search: string): ((g: OktaGroupRecord) => boolean) | null {
  const tests: ((g: OktaGroupRecord) => boolean)[] = [];
  for (const clause of search.split(/\s+and\s+/i)) {
    const m =
      /^\s*(type|id|profile\.[A-Za-z][A-Za-z0-9_]*)\s+(eq|sw|co)\s+("((?:[^"\\]|\\.)*)"|true|false|-?\d+(?:\.\d+)?)\s*$/i.exec(
        clause,
      );
    if (!m) return null;
    const [, field, op, raw, str] = m as unknown as [string, string, string, string, string | undefined];
    const operator = op.toLowerCase();
    if (operator === 'co' && !['profile.name', 'profile.description'].includes(field)) return null;
    const wanted: string | number | boolean =
      str !== undefined ? str.replace(/\\(.)/g, '$1') : raw === 'true' ? true : raw === 'false' ? false : Number(raw);
    if (operator !== 'eq' && typeof wanted !== 'string') return null;
    const read = (g: OktaGroupRecord): unknown =>
      field === 'type'
        ? g.type
        : field === 'id'
          ? g.id
          : field === 'profile.name'
            ? g.name
            : field === 'profile.description'
              ? g.description
              : g.attributes[field.slice('profile.'.length)];
    tests.push((g) => {
      const value = read(g);
      if (typeof wanted !== 'string') return value === wanted;
      if (typeof value !== 'string') return false;
      const [v, w] = [value.toLowerCase(), wanted.toLowerCase()];
      return operator === 'eq' ? v === w : operator === 'sw' ? v.startsWith(w) : v.includes(w);
    });
  }
  return (g) => tests.every((t) => t(g));
}

/** The subset of Okta's search grammar the double understands: `profile.<attr> eq "<value>"` (optionally joined by `and`). */
export function parseUserSearch(search: string): ((u: OktaUserRecord) => boolean) | null {
  const clauses = search.split(/\s+and\s+/i);
  const tests: ((u: OktaUserRecord) => boolean)[] = [];
  for (const clause of clauses) {
    const m = /^\s*(profile\.email|profile\.login|status|id)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(clause);
    if (!m) return null;
    const field = m[1]!.toLowerCase();
    const value = m[2]!.replace(/\\(.)/g, '$1').toLowerCase();
    // Okta compares string attributes in search without regard to case.
    const read = (u: OktaUserRecord) =>
      (field === 'profile.email'
        ? u.email
        : field === 'profile.login'
          ? u.login
          : field === 'status'
            ? u.status
            : u.id
      ).toLowerCase();
    tests.push((u) => read(u) === value);
  }
  return (u) => tests.every((t) => t(u));
}
