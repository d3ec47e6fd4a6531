import { REPOSITORY_PERMISSIONS, repositoryRank, type RepositoryPermission } from '../../domain/policy.js';
import { HTTPS_ONLY, parseHttpUrl } from '../http-url.js';
import { PermanentProvisioningError } from '../port.js';
import { isSecretRef } from '../secrets.js';

/**
 * The github provisioner's settings. A resource is either a team (`org` + `team`: membership) or a
 * repository (`repository: owner/name`: a direct collaborator with one permission among `permissions`).
 * The GitHub App: `app_id`, `installation_id`, `private_key` (a secret reference to its PEM key);
 * `base_url` for GitHub Enterprise Server. People: `login_from` `slack_profile` (a login in the custom
 * Slack profile field `slack_profile_field`) or `linked_identity` (the organization's SAML SSO identity
 * of the requester's linked company identity).
 */
export const SETTINGS = [
  'base_url',
  'app_id',
  'installation_id',
  'private_key',
  'org',
  'team',
  'repository',
  'permissions',
  'login_from',
  'slack_profile_field',
];
export const DEFAULT_BASE_URL = 'https://api.github.com';
/** GitHub's owner and repository names, and team slugs. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/;
const DIGITS = /^[1-9][0-9]{0,19}$/;

export type Target = { kind: 'team'; org: string; team: string } | { kind: 'repository'; owner: string; repo: string };

export interface GitHubSettings {
  baseUrl: URL;
  appId: string;
  installationId: string;
  privateKey: string;
  target: Target;
  /** Repository permissions an approver may grant, least first (a team has none). */
  permissions: RepositoryPermission[];
  loginFrom: { kind: 'slack_profile'; field: string } | { kind: 'linked_identity' };
}

const text = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '');

function permissionList(v: unknown): RepositoryPermission[] | string {
  if (v === undefined) return ['read'];
  const list = Array.isArray(v)
    ? v.map(String)
    : String(v)
        .split(/[\s,]+/)
        .filter(Boolean);
  const bad = list.find((p) => !(REPOSITORY_PERMISSIONS as readonly string[]).includes(p));
  if (bad || list.length === 0)
    return `permissions must list GitHub repository roles among ${REPOSITORY_PERMISSIONS.join(', ')}${bad ? ` (not ${bad})` : ''}`;
  return [...new Set(list as RepositoryPermission[])].sort((a, b) => repositoryRank(a) - repositoryRank(b));
}

function baseUrlProblem(v: unknown): string | null {
  if (v === undefined) return null;
  const url = parseHttpUrl(v);
  if (!url)
    return `base_url must be ${HTTPS_ONLY}, e.g. https://github.example.com/api/v3 for GitHub Enterprise Server`;
  if (url.search || url.hash || url.username) return 'base_url must be the API root alone (no query, no credentials)';
  return null;
}

/** The settings' problem for the admin, or null. `resolvedKey`: settings arrive with the key resolved at use. */
function problemOf(s: Record<string, unknown>, resolvedKey: boolean): string | null {
  const unknown = Object.keys(s).filter((k) => !SETTINGS.includes(k));
  if (unknown.length > 0)
    return `unknown github setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${SETTINGS.join(', ')}`;
  const base = baseUrlProblem(s.base_url);
  if (base) return base;
  if (!DIGITS.test(text(s.app_id))) return "app_id must be the GitHub App's numeric App ID (its settings page, About)";
  if (!DIGITS.test(text(s.installation_id)))
    return 'installation_id must be the numeric id of the app’s installation on the organization (the last part of its Configure URL)';
  if (resolvedKey ? !text(s.private_key) : !isSecretRef(s.private_key))
    return "private_key must be a secret reference (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR) to the app's private key (.pem), never the key itself";
  const team = s.team !== undefined;
  const repository = s.repository !== undefined;
  if (team === repository) return 'give either team (with org) or repository (owner/name), not both and not neither';
  if (team) {
    if (!NAME.test(text(s.org))) return 'org must be the GitHub organization login that owns the team';
    if (!SLUG.test(text(s.team)))
      return "team must be the team's slug as in its URL (github.com/orgs/<org>/teams/<slug>)";
    if (s.permissions !== undefined) return 'permissions apply to a repository; a team grant is its membership';
  } else {
    const [owner, repo, ...rest] = text(s.repository).split('/');
    if (!owner || !repo || rest.length > 0 || !NAME.test(owner) || !NAME.test(repo))
      return 'repository must be owner/name, e.g. acme/payments-api';
    if (s.org !== undefined && text(s.org).toLowerCase() !== owner.toLowerCase())
      return 'org, when given with a repository, must be its owner';
    const permissions = permissionList(s.permissions);
    if (typeof permissions === 'string') return permissions;
  }
  const from = s.login_from ?? 'slack_profile';
  if (from !== 'slack_profile' && from !== 'linked_identity')
    return 'login_from must be slack_profile (a login in a Slack profile field) or linked_identity (SAML SSO)';
  if (from === 'slack_profile' && !text(s.slack_profile_field))
    return 'slack_profile_field must name the custom Slack profile field holding GitHub logins (its label, or its id Xf…)';
  return null;
}

export function validateSettings(settings: Record<string, unknown>): string | null {
  return problemOf(settings, false);
}

/** The settings as a grant uses them (the key resolved); a resource saved before validation existed may still be broken. */
export function readSettings(s: Record<string, unknown>): GitHubSettings {
  const problem = problemOf(s, true);
  if (problem) throw new PermanentProvisioningError(`github settings: ${problem}`);
  const [owner, repo] = text(s.repository).split('/');
  const permissions = s.team !== undefined ? [] : (permissionList(s.permissions) as RepositoryPermission[]);
  return {
    baseUrl: new URL(text(s.base_url) || DEFAULT_BASE_URL),
    appId: text(s.app_id),
    installationId: text(s.installation_id),
    privateKey: text(s.private_key),
    target:
      s.team !== undefined
        ? { kind: 'team', org: text(s.org), team: text(s.team) }
        : { kind: 'repository', owner: owner!, repo: repo! },
    permissions,
    loginFrom:
      s.login_from === 'linked_identity'
        ? { kind: 'linked_identity' }
        : { kind: 'slack_profile', field: text(s.slack_profile_field) },
  };
}

/** The permissions an approver may pick, least first; none for a team or unreadable settings. */
export function permissionChoices(s: Record<string, unknown>): string[] {
  if (s.repository === undefined) return [];
  const list = permissionList(s.permissions);
  return typeof list === 'string' ? [] : list;
}

/** Where the grant's objects live, for shared-access keys: the API host (and path, for Enterprise Server). */
export function apiHost(s: Record<string, unknown>): string | null {
  const url = parseHttpUrl(text(s.base_url) || DEFAULT_BASE_URL);
  return url ? `${url.host}${url.pathname.replace(/\/+$/, '')}`.toLowerCase() : null;
}
