import type { Octokit } from '@octokit/rest';
import { RepositoryPermissionSchema, repositoryRank, type RepositoryPermission } from '../../domain/policy.js';
import type { GrantContext, Provisioner, ProvisionResult } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { classifyGitHubError, gitHubClients, statusOf, warmGitHubSdk } from './github-client.js';
import { resolveLogin } from './github-identity.js';
import { apiHost, permissionChoices, readSettings, validateSettings, type GitHubSettings } from './github-settings.js';
import { repositoryAccess } from './repository-access.js';

/**
 * GitHub through a GitHub App (docs/provisioners/github.md). A `group` resource with `team` is
 * membership of an organization team (`PUT /orgs/{org}/teams/{slug}/memberships/{login}`, removed at the
 * end); a `repository` resource is a direct collaborator permission (`PUT /repos/{o}/{r}/collaborators/{login}`,
 * removed at the end; someone outside the organization gets an invitation instead, withdrawn at the end
 * if never accepted). Both are one object per person, so `sharedAccessKeys` names them: two overlapping
 * grants share a membership, and a collaborator keeps the highest permission a live grant still gives.
 * GitHub has no expiry on either: the bot's expiry job removes them, and reconcile checks.
 */
export function createGitHubProvisioner(options: { requestTimeoutMs?: number } = {}): Provisioner {
  const clients = gitHubClients(options);

  async function connect(ctx: GrantContext) {
    const s = readSettings(ctx.settings);
    return { s, octokit: await clients.clientFor(s) };
  }

  /** The login a grant made its access for (kept in its state), else looked up again (state lost in a crash). */
  async function loginOf(octokit: Octokit, s: GitHubSettings, ctx: GrantContext, state: Record<string, unknown>) {
    if (typeof state.login === 'string' && state.login !== '') return state.login;
    return resolveLogin(octokit, s, ctx, clients);
  }

  function teamOps(octokit: Octokit, s: GitHubSettings, org: string, team: string) {
    const doing = (what: string) => `${what} GitHub team ${org}/${team}`;
    const extra = {
      forbidden: `give the GitHub App the organization permission Members (read and write) on ${org}; a team synchronized with an identity provider cannot be changed through the API`,
      notFound: `GitHub team ${org}/${team} does not exist, or the app is not installed on ${org}; fix org and team`,
    };
    return {
      async membership(login: string) {
        try {
          return (await octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: team, username: login })).data;
        } catch (error) {
          if (statusOf(error) === 404) return null;
          throw classifyGitHubError(error, doing(`reading ${login}'s membership of`), s, clients, extra);
        }
      },
      async orgState(login: string) {
        try {
          return (await octokit.rest.orgs.getMembershipForUser({ org, username: login })).data.state;
        } catch (error) {
          if (statusOf(error) === 404) return null;
          throw classifyGitHubError(
            error,
            `reading ${login}'s membership of the GitHub organization ${org}`,
            s,
            clients,
            extra,
          );
        }
      },
      async add(login: string) {
        try {
          await octokit.rest.teams.addOrUpdateMembershipForUserInOrg({
            org,
            team_slug: team,
            username: login,
            role: 'member',
          });
        } catch (error) {
          throw classifyGitHubError(error, doing(`adding ${login} to`), s, clients, extra);
        }
      },
      async remove(login: string) {
        try {
          await octokit.rest.teams.removeMembershipForUserInOrg({ org, team_slug: team, username: login });
        } catch (error) {
          if (statusOf(error) !== 404)
            throw classifyGitHubError(error, doing(`removing ${login} from`), s, clients, extra);
        }
      },
    };
  }

  async function provisionTeam(ctx: GrantContext, s: GitHubSettings, octokit: Octokit, org: string, team: string) {
    if (ctx.grant.type !== 'group')
      throw new PermanentProvisioningError(
        `a ${ctx.grant.type} grant cannot be provisioned as a GitHub team membership`,
      );
    const ops = teamOps(octokit, s, org, team);
    const login = await resolveLogin(octokit, s, ctx, clients);
    // Adding someone outside the organization would invite them into it: more than a team grant gives.
    if ((await ops.orgState(login)) !== 'active')
      throw new PermanentProvisioningError(
        `${login} is not a member of the GitHub organization ${org}; a team grant only adds members (GitHub would invite them into the organization)`,
      );
    // Already in the team (maintainer, or through another grant): a PUT with role member would demote a maintainer.
    if (!(await ops.membership(login))) await ops.add(login);
    return {
      state: { kind: 'team', org, team, login },
      instructions: `You are a member of the GitHub team ${org}/${team} as ${login}: ${teamUrl(s, org, team)}`,
    };
  }

  async function provisionRepository(
    ctx: GrantContext,
    s: GitHubSettings,
    octokit: Octokit,
    owner: string,
    repo: string,
  ) {
    if (ctx.grant.type !== 'repository')
      throw new PermanentProvisioningError(
        `a ${ctx.grant.type} grant cannot be provisioned as a GitHub repository permission`,
      );
    const permission = ctx.grant.permission;
    if (!s.permissions.includes(permission))
      throw new PermanentProvisioningError(
        `${permission} is not a permission ${ctx.resource.name} allows (${s.permissions.join(', ')})`,
      );
    const login = await resolveLogin(octokit, s, ctx, clients);
    const { invitationId } = await repositoryAccess(octokit, s, clients, { owner, repo }).grant(login, permission);
    const where = `${webRoot(s)}/${owner}/${repo}`;
    return {
      state: { kind: 'repository', repository: `${owner}/${repo}`, login, permission, invitationId },
      instructions: invitationId
        ? `GitHub invited ${login} to ${owner}/${repo} with ${permission} permission: accept it at ${where}/invitations (GitHub e-mailed it too). An invitation still pending at the end is withdrawn.`
        : `You have ${permission} permission on ${owner}/${repo} as ${login}: ${where}`,
    };
  }

  async function provision(ctx: GrantContext): Promise<ProvisionResult> {
    const { s, octokit } = await connect(ctx);
    return s.target.kind === 'team'
      ? provisionTeam(ctx, s, octokit, s.target.org, s.target.team)
      : provisionRepository(ctx, s, octokit, s.target.owner, s.target.repo);
  }

  /** Where the grant was made: the state's team or repository (a resource changed since still removes it there). */
  function placeOf(s: GitHubSettings, state: Record<string, unknown>) {
    if (s.target.kind === 'team')
      return {
        kind: 'team' as const,
        org: String(state.org ?? s.target.org),
        team: String(state.team ?? s.target.team),
      };
    const [owner, repo] = String(state.repository ?? `${s.target.owner}/${s.target.repo}`).split('/');
    return { kind: 'repository' as const, owner: owner!, repo: repo! };
  }

  return {
    type: 'github',
    validateSettings,
    roleChoices: permissionChoices,
    warm: warmGitHubSdk,
    provision,

    sharedAccessKeys(ctx) {
      const host = apiHost(ctx.settings);
      if (!host) return [];
      const person = ctx.requesterId;
      if (typeof ctx.settings.team === 'string')
        return [`github:${host}:team:${String(ctx.settings.org).toLowerCase()}/${ctx.settings.team}:${person}`];
      if (typeof ctx.settings.repository !== 'string' || ctx.grant.type !== 'repository') return [];
      return [`github:${host}:repo:${ctx.settings.repository.toLowerCase()}:${person}:${ctx.grant.permission}`];
    },

    // GitHub has no end on a membership or a collaborator: the bot's expiry removes them.
    async extend(_ctx, state) {
      return { state };
    },

    async deprovision(ctx, state, keep) {
      const { s, octokit } = await connect(ctx);
      const place = placeOf(s, state);
      let login: string;
      try {
        login = await loginOf(octokit, s, ctx, state);
      } catch (error) {
        // No login any more (state lost and the profile emptied): nothing can be found to remove.
        if (error instanceof PermanentProvisioningError) return;
        throw error;
      }
      if (place.kind === 'team') return teamOps(octokit, s, place.org, place.team).remove(login);
      const keepAt = keptPermission(ctx, place, keep);
      await repositoryAccess(octokit, s, clients, place).remove(login, keepAt);
    },

    async isPresent(ctx, state) {
      const { s, octokit } = await connect(ctx);
      const place = placeOf(s, state);
      const login = await loginOf(octokit, s, ctx, state);
      if (place.kind === 'team') return (await teamOps(octokit, s, place.org, place.team).membership(login)) !== null;
      const permission = RepositoryPermissionSchema.catch('read').parse(
        ctx.grant.type === 'repository' ? ctx.grant.permission : state.permission,
      );
      return repositoryAccess(octokit, s, clients, place).holds(login, permission);
    },
  };
}

/** The highest permission on this repository that another live grant of the person relies on (from `keep`). */
function keptPermission(
  ctx: GrantContext,
  place: { owner: string; repo: string },
  keep: ReadonlySet<string> | undefined,
): RepositoryPermission | null {
  const prefix = `:repo:${place.owner}/${place.repo}:${ctx.requesterId}:`.toLowerCase();
  let best: RepositoryPermission | null = null;
  for (const key of keep ?? []) {
    const at = key.toLowerCase().indexOf(prefix);
    if (at < 0) continue;
    const p = RepositoryPermissionSchema.safeParse(key.slice(at + prefix.length));
    if (p.success && (!best || repositoryRank(p.data) > repositoryRank(best))) best = p.data;
  }
  return best;
}

/** github.com for the public API; an Enterprise Server's own host (its API lives under /api/v3). */
function webRoot(s: GitHubSettings): string {
  return s.baseUrl.host === 'api.github.com' ? 'https://github.com' : s.baseUrl.origin;
}

const teamUrl = (s: GitHubSettings, org: string, team: string) => `${webRoot(s)}/orgs/${org}/teams/${team}`;
