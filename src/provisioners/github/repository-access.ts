import type { Octokit } from '@octokit/rest';
import { REPOSITORY_PERMISSIONS, repositoryRank, type RepositoryPermission } from '../../domain/policy.js';
import { classifyGitHubError, statusOf, type GitHubClients } from './github-client.js';
import type { GitHubSettings } from './github-settings.js';

/**
 * A direct collaborator's permission on one repository, and the invitation GitHub sends instead when
 * the person is not a member of the owning organization. GitHub keeps one direct permission per person
 * and repository; the bot never lowers one it finds higher (another live grant of theirs may have set
 * it), and on removal leaves the highest permission another live grant still relies on.
 */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** `PUT …/collaborators` takes GitHub's older names for read and write. */
const PERMISSION_PARAM: Record<RepositoryPermission, string> = {
  read: 'pull',
  triage: 'triage',
  write: 'push',
  maintain: 'maintain',
  admin: 'admin',
};

const asPermission = (v: unknown): RepositoryPermission | null =>
  (REPOSITORY_PERMISSIONS as readonly string[]).includes(String(v)) ? (v as RepositoryPermission) : null;

export interface RepoAccess {
  /** The person's direct permission (null: not a direct collaborator). */
  direct: RepositoryPermission | null;
  /** Pending invitations to them (usually one). */
  invitations: { id: number; permission: RepositoryPermission | null }[];
}

export function repositoryAccess(octokit: Octokit, s: GitHubSettings, clients: GitHubClients, ref: RepoRef) {
  const full = `${ref.owner}/${ref.repo}`;
  const fail = (error: unknown, doing: string) =>
    classifyGitHubError(error, doing, s, clients, {
      forbidden: `give the GitHub App the repository permission Administration (read and write) on ${full}`,
      notFound: `GitHub repository ${full} does not exist, or the app's installation cannot see it; fix repository, or add the repository to the installation`,
    });

  /** What the person holds on the repository now: paged through `Link` (a large repository has many). */
  async function accessOf(login: string): Promise<RepoAccess> {
    const me = login.toLowerCase();
    let direct: RepositoryPermission | null = null;
    const invitations: RepoAccess['invitations'] = [];
    try {
      for await (const { data } of octokit.paginate.iterator(octokit.rest.repos.listCollaborators, {
        ...ref,
        affiliation: 'direct',
        per_page: 100,
      })) {
        const found = data.find((c) => c.login.toLowerCase() === me);
        if (found) {
          direct = asPermission(found.role_name) ?? 'read';
          break;
        }
      }
      for await (const { data } of octokit.paginate.iterator(octokit.rest.repos.listInvitations, {
        ...ref,
        per_page: 100,
      }))
        for (const i of data)
          if (i.invitee?.login.toLowerCase() === me)
            invitations.push({ id: i.id as number, permission: asPermission(i.permissions) });
    } catch (error) {
      throw fail(error, `reading who has access to ${full}`);
    }
    return { direct, invitations };
  }

  /** Gives at least `permission`; returns the invitation GitHub sent when the person is outside the organization. */
  async function grant(login: string, permission: RepositoryPermission): Promise<{ invitationId: number | null }> {
    const now = await accessOf(login);
    if (now.direct && repositoryRank(now.direct) >= repositoryRank(permission)) return { invitationId: null };
    const pending = now.invitations[0];
    if (!now.direct && pending) {
      if (!pending.permission || repositoryRank(pending.permission) < repositoryRank(permission))
        await setInvitation(pending.id, permission, login);
      return { invitationId: pending.id };
    }
    try {
      const res = await octokit.rest.repos.addCollaborator({
        ...ref,
        username: login,
        permission: PERMISSION_PARAM[permission],
      });
      // 201: an invitation (someone outside the organization); 204: they are a collaborator now.
      return { invitationId: res.status === 201 ? ((res.data as { id: number }).id ?? null) : null };
    } catch (error) {
      throw fail(error, `giving ${login} ${permission} on ${full}`);
    }
  }

  async function setInvitation(id: number, permission: RepositoryPermission, login: string) {
    try {
      await octokit.rest.repos.updateInvitation({ ...ref, invitation_id: id, permissions: permission });
    } catch (error) {
      throw fail(error, `changing the invitation of ${login} to ${full} to ${permission}`);
    }
  }

  /**
   * Ends the access. `keepAt`: the highest permission another live grant of the person relies on; the
   * access is lowered to it rather than removed. Gone already counts as done.
   */
  async function remove(login: string, keepAt: RepositoryPermission | null): Promise<void> {
    const now = await accessOf(login);
    if (keepAt) {
      if (now.direct && repositoryRank(now.direct) > repositoryRank(keepAt)) {
        try {
          await octokit.rest.repos.addCollaborator({ ...ref, username: login, permission: PERMISSION_PARAM[keepAt] });
        } catch (error) {
          throw fail(error, `lowering ${login} to ${keepAt} on ${full}`);
        }
      }
      for (const i of now.invitations)
        if (i.permission && repositoryRank(i.permission) > repositoryRank(keepAt))
          await setInvitation(i.id, keepAt, login);
      return;
    }
    if (now.direct) {
      try {
        await octokit.rest.repos.removeCollaborator({ ...ref, username: login });
      } catch (error) {
        if (statusOf(error) !== 404) throw fail(error, `removing ${login} from ${full}`);
      }
    }
    // An invitation never accepted is withdrawn, so it cannot be accepted after the grant ended.
    for (const i of now.invitations) {
      try {
        await octokit.rest.repos.deleteInvitation({ ...ref, invitation_id: i.id });
      } catch (error) {
        if (statusOf(error) !== 404) throw fail(error, `withdrawing the invitation of ${login} to ${full}`);
      }
    }
  }

  /** Reconcile: the person holds at least `permission` directly, or an invitation to it is out. */
  async function holds(login: string, permission: RepositoryPermission): Promise<boolean> {
    const now = await accessOf(login);
    if (now.direct) return repositoryRank(now.direct) >= repositoryRank(permission);
    return now.invitations.some((i) => !i.permission || repositoryRank(i.permission) >= repositoryRank(permission));
  }

  return { accessOf, grant, remove, holds };
}
