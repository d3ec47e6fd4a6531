import { randomBytes } from 'node:crypto';

/**
 * What the GitHub double's organization holds: users, org members, teams and their memberships,
 * repositories with their direct collaborators and pending invitations, and SAML SSO identities. Plain
 * data and GitHub's rules on it; HTTP, auth and limits live in github-double.ts. JSON shapes follow
 * GitHub's REST API schemas (`simple-user`, `team-membership`, `org-membership`, `collaborator`,
 * `repository-invitation`) as @octokit/openapi-types declares them.
 */
export const REPO_ROLES = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export type RepoRole = (typeof REPO_ROLES)[number];

/** The `permission` values PUT /collaborators accepts, as GitHub documents them, and the role each gives. */
export const PERMISSION_PARAM: Record<string, RepoRole> = {
  pull: 'read',
  triage: 'triage',
  push: 'write',
  maintain: 'maintain',
  admin: 'admin',
};

export interface GhUser {
  login: string;
  id: number;
}

export interface TeamRecord {
  id: number;
  slug: string;
  name: string;
  members: Map<string, { role: 'member' | 'maintainer'; state: 'active' | 'pending' }>;
}

export interface InvitationRecord {
  id: number;
  login: string;
  role: RepoRole;
  createdAt: string;
}

export interface RepoRecord {
  id: number;
  name: string;
  collaborators: Map<string, RepoRole>;
  invitations: Map<number, InvitationRecord>;
}

let nextId = 1000;
const newId = () => (nextId += 1);
const nodeId = (kind: string, id: number) => Buffer.from(`${kind}${id}`).toString('base64').replace(/=+$/, '');

export class GitHubOrg {
  readonly id = newId();
  readonly users = new Map<string, GhUser>();
  /** Org members by login (lower case), with GitHub's role and state (pending: invited, not yet joined). */
  readonly members = new Map<string, { role: 'admin' | 'member'; state: 'active' | 'pending' }>();
  readonly teams = new Map<string, TeamRecord>();
  readonly repos = new Map<string, RepoRecord>();
  /** SAML SSO: the IdP's NameID (lower case) -> the GitHub login it is linked to. */
  readonly samlIdentities = new Map<string, string>();
  samlEnabled = false;

  constructor(readonly login: string) {}

  addUser(login: string): GhUser {
    const found = this.user(login);
    if (found) return found;
    const u = { login, id: newId() };
    this.users.set(login.toLowerCase(), u);
    return u;
  }

  /** GitHub logins are case-insensitive; answers keep the account's own spelling. */
  user(login: string): GhUser | undefined {
    return this.users.get(login.toLowerCase());
  }

  addMember(login: string, role: 'admin' | 'member' = 'member'): void {
    this.addUser(login);
    this.members.set(login.toLowerCase(), { role, state: 'active' });
  }

  addTeam(name: string, slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-')): TeamRecord {
    const team = { id: newId(), slug, name, members: new Map() };
    this.teams.set(slug, team);
    return team;
  }

  addRepo(name: string): RepoRecord {
    const repo = { id: newId(), name, collaborators: new Map(), invitations: new Map() };
    this.repos.set(name.toLowerCase(), repo);
    return repo;
  }

  isActiveMember(login: string): boolean {
    return this.members.get(login.toLowerCase())?.state === 'active';
  }

  /** PUT …/collaborators/{u}: an org member or an existing collaborator gets the role (204); anyone else an invitation (201). */
  setCollaborator(repo: RepoRecord, login: string, role: RepoRole): InvitationRecord | null {
    const key = login.toLowerCase();
    if (this.isActiveMember(key) || repo.collaborators.has(key)) {
      repo.collaborators.set(key, role);
      return null;
    }
    // An invitation already out for them is updated, not doubled (a repeated PUT is idempotent).
    const pending = [...repo.invitations.values()].find((i) => i.login.toLowerCase() === key);
    if (pending) {
      pending.role = role;
      return pending;
    }
    const invitation = { id: newId(), login: this.user(login)!.login, role, createdAt: new Date().toISOString() };
    repo.invitations.set(invitation.id, invitation);
    return invitation;
  }

  /** The invitee accepts (on github.com): they become an outside collaborator with the invitation's role. */
  accept(repo: RepoRecord, login: string): void {
    const invitation = [...repo.invitations.values()].find((i) => i.login.toLowerCase() === login.toLowerCase());
    if (!invitation) throw new Error(`no invitation for ${login} to ${repo.name}`);
    repo.invitations.delete(invitation.id);
    repo.collaborators.set(login.toLowerCase(), invitation.role);
  }

  // ---- JSON as GitHub renders it ----

  userJson(base: string, u: GhUser) {
    const url = `${base}/users/${u.login}`;
    return {
      login: u.login,
      id: u.id,
      node_id: nodeId('04:User', u.id),
      avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
      gravatar_id: '',
      url,
      html_url: `https://github.com/${u.login}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: 'User',
      user_view_type: 'public',
      site_admin: false,
    };
  }

  orgJson(base: string) {
    const url = `${base}/orgs/${this.login}`;
    return {
      login: this.login,
      id: this.id,
      node_id: nodeId('012:Organization', this.id),
      url,
      repos_url: `${url}/repos`,
      events_url: `${url}/events`,
      hooks_url: `${url}/hooks`,
      issues_url: `${url}/issues`,
      members_url: `${url}/members{/member}`,
      public_members_url: `${url}/public_members{/member}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${this.id}?v=4`,
      description: null,
    };
  }

  repoJson(base: string, repo: RepoRecord) {
    const fullName = `${this.login}/${repo.name}`;
    return {
      id: repo.id,
      node_id: nodeId('010:Repository', repo.id),
      name: repo.name,
      full_name: fullName,
      private: true,
      owner: { ...this.userJson(base, { login: this.login, id: this.id }), type: 'Organization' },
      html_url: `https://github.com/${fullName}`,
      description: null,
      fork: false,
      url: `${base}/repos/${fullName}`,
    };
  }

  collaboratorJson(base: string, login: string, role: RepoRole) {
    const at = REPO_ROLES.indexOf(role);
    return {
      ...this.userJson(base, this.user(login)!),
      permissions: { pull: at >= 0, triage: at >= 1, push: at >= 2, maintain: at >= 3, admin: at >= 4 },
      role_name: role,
    };
  }

  invitationJson(base: string, repo: RepoRecord, i: InvitationRecord) {
    return {
      id: i.id,
      node_id: nodeId('020:RepositoryInvitation', i.id),
      repository: this.repoJson(base, repo),
      invitee: this.userJson(base, this.user(i.login)!),
      inviter: this.userJson(base, { login: 'access-bot[bot]', id: 1 }),
      permissions: i.role,
      created_at: i.createdAt,
      expired: false,
      url: `${base}/user/repository_invitations/${i.id}`,
      html_url: `https://github.com/${this.login}/${repo.name}/invitations`,
    };
  }

  teamMembershipJson(base: string, team: TeamRecord, login: string) {
    const m = team.members.get(login.toLowerCase())!;
    return {
      url: `${base}/organizations/${this.id}/team/${team.id}/memberships/${this.user(login)!.login}`,
      role: m.role,
      state: m.state,
    };
  }

  orgMembershipJson(base: string, login: string) {
    const m = this.members.get(login.toLowerCase())!;
    return {
      url: `${base}/orgs/${this.login}/memberships/${this.user(login)!.login}`,
      state: m.state,
      role: m.role,
      organization_url: `${base}/orgs/${this.login}`,
      organization: this.orgJson(base),
      user: this.userJson(base, this.user(login)!),
    };
  }
}

/** Installation tokens look like GitHub's: `ghs_` and 36 letters and digits. */
export const installationToken = () =>
  `ghs_${randomBytes(27)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .padEnd(36, '0')
    .slice(0, 36)}`;
