import { DOCS, notAccessible, notFound, validationFailed, type Answer } from './errors.js';
import { PERMISSION_PARAM, REPO_ROLES, type GitHubOrg, type RepoRecord, type RepoRole } from './state.js';

/** The installation permissions the double knows (GitHub's names): organization members, repository administration and metadata. */
export type Scope = 'members' | 'administration' | 'metadata';

export interface RouteContext {
  org: GitHubOrg;
  permissions: Partial<Record<Scope, 'read' | 'write'>>;
  base: string;
  maxPerPage: number;
  /** This path's URL with the given query (for `Link`). */
  link(query: Record<string, string>): string;
}

/** GitHub's page-number paging: `per_page` (default 30, at most 100) and `page`, with `Link` rel next/last/prev/first. */
function paged<T>(ctx: RouteContext, items: T[], query: Record<string, string>, extra: Record<string, string>): Answer {
  const asked = Number(query.per_page ?? 30);
  const perPage = Math.min(Number.isInteger(asked) && asked > 0 ? asked : 30, 100, ctx.maxPerPage);
  const page = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const at = (p: number) => ctx.link({ ...extra, per_page: String(perPage), page: String(p) });
  const links: string[] = [];
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`);
  if (page < last) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (page > 1) links.push(`<${at(1)}>; rel="first"`);
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

function allowed(ctx: RouteContext, scope: Scope, level: 'read' | 'write'): boolean {
  const granted = ctx.permissions[scope];
  return granted === 'write' || (granted === 'read' && level === 'read');
}

export function routeRest(
  ctx: RouteContext,
  method: string,
  parts: string[],
  query: Record<string, string>,
  json: Record<string, unknown>,
): Answer {
  const { org, base } = ctx;
  const [top, owner, section, a, b, c] = parts;

  // GET /users/{username}: any token may read a public profile.
  if (top === 'users' && owner && parts.length === 2 && method === 'GET') {
    const user = org.user(owner);
    return user ? { status: 200, body: org.userJson(base, user) } : notFound(DOCS.getUser);
  }

  if (top === 'orgs' && owner?.toLowerCase() === org.login.toLowerCase()) {
    // GET /orgs/{org}/memberships/{username}
    if (section === 'memberships' && a && !b && method === 'GET') {
      if (!allowed(ctx, 'members', 'read')) return notAccessible(DOCS.orgMembership);
      return org.user(a) && org.members.has(a.toLowerCase())
        ? { status: 200, body: org.orgMembershipJson(base, a) }
        : notFound(DOCS.orgMembership);
    }
    // /orgs/{org}/teams/{team_slug}/memberships/{username}
    if (section === 'teams' && a && b === 'memberships' && c && parts.length === 6) {
      const team = org.teams.get(a.toLowerCase());
      const write = method !== 'GET';
      const docs =
        method === 'GET' ? DOCS.teamMembership : method === 'PUT' ? DOCS.addTeamMember : DOCS.removeTeamMember;
      if (!allowed(ctx, 'members', write ? 'write' : 'read')) return notAccessible(docs);
      const user = org.user(c);
      if (!team || !user) return notFound(docs);
      const key = user.login.toLowerCase();
      if (method === 'GET')
        return team.members.has(key) ? { status: 200, body: org.teamMembershipJson(base, team, key) } : notFound(docs);
      if (method === 'PUT') {
        const role = json.role === undefined ? 'member' : json.role;
        if (role !== 'member' && role !== 'maintainer')
          return validationFailed(docs, [{ resource: 'TeamMember', field: 'role', code: 'invalid' }]);
        // Someone outside the organization is invited to it: both memberships stay pending until they accept.
        if (!org.members.has(key)) org.members.set(key, { role: 'member', state: 'pending' });
        const state = org.isActiveMember(key) ? 'active' : 'pending';
        team.members.set(key, { role, state });
        return { status: 200, body: org.teamMembershipJson(base, team, key) };
      }
      if (method === 'DELETE') {
        team.members.delete(key);
        return { status: 204 };
      }
    }
    return notFound(DOCS.rest);
  }

  if (top !== 'repos' || owner?.toLowerCase() !== org.login.toLowerCase() || !section) return notFound(DOCS.rest);
  const repo = org.repos.get(section.toLowerCase());
  if (!repo) return notFound(DOCS.rest);

  if (a === 'collaborators' && !b && method === 'GET') {
    if (!allowed(ctx, 'metadata', 'read')) return notAccessible(DOCS.listCollaborators);
    const affiliation = query.affiliation ?? 'all';
    const direct = [...repo.collaborators].filter(([login]) => affiliation !== 'outside' || !org.members.has(login));
    // `all` also counts access from the organization: its owners are admins of every repository.
    const owners =
      affiliation === 'all'
        ? [...org.members].filter(
            ([login, m]) => m.role === 'admin' && m.state === 'active' && !repo.collaborators.has(login),
          )
        : [];
    const list = [...direct, ...owners.map(([login]) => [login, 'admin' as RepoRole] as const)]
      .map(([login, role]) => org.collaboratorJson(base, login, role))
      .sort((x, y) => x.id - y.id);
    return paged(ctx, list, query, affiliation === 'all' ? {} : { affiliation });
  }

  if (a === 'collaborators' && b && !c) {
    const docs =
      method === 'GET' ? DOCS.checkCollaborator : method === 'PUT' ? DOCS.addCollaborator : DOCS.removeCollaborator;
    if (!allowed(ctx, method === 'GET' ? 'metadata' : 'administration', method === 'GET' ? 'read' : 'write'))
      return notAccessible(docs);
    const user = org.user(b);
    if (method === 'GET')
      return user && repo.collaborators.has(user.login.toLowerCase()) ? { status: 204 } : notFound(docs);
    if (method === 'PUT') {
      if (!user) return notFound(docs);
      const param = json.permission === undefined ? 'push' : String(json.permission);
      const role = PERMISSION_PARAM[param];
      if (!role)
        return validationFailed(docs, [
          {
            resource: 'Repository',
            field: 'permission',
            code: 'invalid',
            message: `${param} is not a valid permission`,
          },
        ]);
      const invitation = org.setCollaborator(repo, user.login, role);
      return invitation ? { status: 201, body: org.invitationJson(base, repo, invitation) } : { status: 204 };
    }
    if (method === 'DELETE') {
      if (user) repo.collaborators.delete(user.login.toLowerCase());
      return { status: 204 };
    }
  }

  if (a === 'invitations') return invitations(ctx, repo, method, b, query, json);
  return notFound(DOCS.rest);
}

function invitations(
  ctx: RouteContext,
  repo: RepoRecord,
  method: string,
  id: string | undefined,
  query: Record<string, string>,
  json: Record<string, unknown>,
): Answer {
  const { org, base } = ctx;
  if (!id && method === 'GET') {
    if (!allowed(ctx, 'administration', 'read')) return notAccessible(DOCS.listInvitations);
    const list = [...repo.invitations.values()]
      .sort((x, y) => x.id - y.id)
      .map((i) => org.invitationJson(base, repo, i));
    return paged(ctx, list, query, {});
  }
  const invitation = id ? repo.invitations.get(Number(id)) : undefined;
  if (method === 'PATCH') {
    if (!allowed(ctx, 'administration', 'write')) return notAccessible(DOCS.updateInvitation);
    if (!invitation) return notFound(DOCS.updateInvitation);
    const role = String(json.permissions ?? '');
    if (!(REPO_ROLES as readonly string[]).includes(role))
      return validationFailed(DOCS.updateInvitation, [
        { resource: 'RepositoryInvitation', field: 'permissions', code: 'invalid' },
      ]);
    invitation.role = role as RepoRole;
    return { status: 200, body: org.invitationJson(base, repo, invitation) };
  }
  if (method === 'DELETE') {
    if (!allowed(ctx, 'administration', 'write')) return notAccessible(DOCS.deleteInvitation);
    if (!invitation) return notFound(DOCS.deleteInvitation);
    repo.invitations.delete(invitation.id);
    return { status: 204 };
  }
  return notFound(DOCS.rest);
}
