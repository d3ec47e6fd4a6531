import type { Octokit } from '@octokit/rest';
import { PermanentProvisioningError, type GrantContext } from '../port.js';
import { classifyGitHubError, statusOf, type GitHubClients } from './github-client.js';
import type { GitHubSettings } from './github-settings.js';

/**
 * Who the requester is on GitHub. Slack knows no GitHub login and e-mails do not map to GitHub accounts
 * (GitHub shows only public e-mails), so the operator picks one of two sources:
 * - `slack_profile`: the custom Slack profile field they name (users.profile.get), filled in by each person
 *   (`octocat`, `@octocat` or `https://github.com/octocat` all read as `octocat`);
 * - `linked_identity`: the organization's SAML SSO identity (GraphQL `externalIdentities`) whose NameID
 *   is the requester's linked company identity (its verified e-mail, else its subject): the identity
 *   provider vouches for both sides, and nobody types a login.
 * Either way the login must exist on GitHub (`GET /users/{login}`), so a typo is a sentence, not a 404 later.
 */
/** GitHub logins: letters, digits and single hyphens, at most 39; `_` for Enterprise Managed Users (`mona_acme`). */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_])){0,38}$/;

export function loginFromProfile(value: string): string | null {
  const v = value
    .trim()
    .replace(/^https?:\/\/(www\.)?github\.com\//i, '')
    .replace(/^@/, '')
    .replace(/\/+$/, '');
  return LOGIN.test(v) ? v : null;
}

const SAML_QUERY = `query ($org: String!, $userName: String!) {
  organization(login: $org) {
    samlIdentityProvider {
      externalIdentities(first: 2, userName: $userName) {
        nodes { samlIdentity { nameId } user { login } }
      }
    }
  }
}`;

interface SamlAnswer {
  organization: {
    samlIdentityProvider: {
      externalIdentities: { nodes: { samlIdentity: { nameId: string } | null; user: { login: string } | null }[] };
    } | null;
  } | null;
}

const orgOf = (s: GitHubSettings) => (s.target.kind === 'team' ? s.target.org : s.target.owner);

async function fromLinkedIdentity(octokit: Octokit, s: GitHubSettings, ctx: GrantContext, clients: GitHubClients) {
  const identity = await ctx.requesterIdentity?.();
  if (!identity)
    throw new PermanentProvisioningError(
      'The requester has not linked their company identity (/access link), and this GitHub resource finds people by it',
    );
  const userName = identity.email ?? identity.subject;
  const org = orgOf(s);
  let answer: SamlAnswer;
  try {
    answer = await octokit.graphql<SamlAnswer>(SAML_QUERY, { org, userName });
  } catch (error) {
    // GraphQL errors (200 with `errors`) carry no status: a missing permission or an unknown organization.
    if (!Number.isFinite(statusOf(error)))
      throw new PermanentProvisioningError(
        `GitHub could not read the SAML identities of ${org} (${(error as Error).message}); the app needs the organization Members (read) permission, and the organization must use SAML single sign-on`,
      );
    throw classifyGitHubError(error, `looking up ${userName} among ${org}'s SAML identities`, s, clients);
  }
  const provider = answer.organization?.samlIdentityProvider;
  if (!provider)
    throw new PermanentProvisioningError(
      `The GitHub organization ${org} has no SAML single sign-on, so no GitHub login is linked to company identities; use login_from: slack_profile`,
    );
  const logins = provider.externalIdentities.nodes.flatMap((n) => (n.user?.login ? [n.user.login] : []));
  if (logins.length === 0)
    throw new PermanentProvisioningError(
      `No GitHub account in ${org} is linked by SAML single sign-on to ${userName}; the requester must sign in to ${org} with SSO once`,
    );
  if (logins.length > 1)
    throw new PermanentProvisioningError(`${logins.length} GitHub accounts in ${org} are linked to ${userName}`);
  return { login: logins[0]!, source: `the SAML identity ${userName}` };
}

async function fromSlackProfile(field: string, ctx: GrantContext) {
  if (!ctx.requesterProfileField)
    throw new PermanentProvisioningError('This bot has no Slack directory to read the GitHub login from');
  const value = await ctx.requesterProfileField(field);
  if (!value)
    throw new PermanentProvisioningError(
      `The requester has no GitHub login in their Slack profile field “${field}”; they fill it in (Profile > Edit), and the grant is tried again on retry`,
    );
  const login = loginFromProfile(value);
  if (!login)
    throw new PermanentProvisioningError(
      `“${value.slice(0, 80)}” in the Slack profile field “${field}” is not a GitHub login (letters, digits and single hyphens, at most 39)`,
    );
  return { login, source: `the Slack profile field “${field}”` };
}

/** The requester's GitHub login, checked to exist; throws a sentence for requester and approver when there is none. */
export async function resolveLogin(
  octokit: Octokit,
  s: GitHubSettings,
  ctx: GrantContext,
  clients: GitHubClients,
): Promise<string> {
  const found =
    s.loginFrom.kind === 'slack_profile'
      ? await fromSlackProfile(s.loginFrom.field, ctx)
      : await fromLinkedIdentity(octokit, s, ctx, clients);
  try {
    const { data } = await octokit.rest.users.getByUsername({ username: found.login });
    return data.login;
  } catch (error) {
    throw classifyGitHubError(error, `looking up the GitHub user ${found.login}`, s, clients, {
      notFound: `GitHub has no user ${found.login} (from ${found.source}); the requester must fix it before the grant can be set up`,
    });
  }
}
