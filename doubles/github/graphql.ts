import type { Answer } from './errors.js';
import type { Scope } from './routes.js';
import type { GitHubOrg } from './state.js';

/**
 * The one GraphQL query the github provisioner sends: an organization's SAML SSO identity by the IdP's
 * user name (NameID), giving the GitHub login linked to it:
 * `organization(login: $org) { samlIdentityProvider { externalIdentities(first:, userName: $userName) {
 * nodes { samlIdentity { nameId } user { login } } } } }`. Not a GraphQL engine: the query must ask for
 * those fields, and the variables carry the values. Errors in GitHub's GraphQL form (HTTP 200, `errors`).
 */
export function answerGraphql(
  org: GitHubOrg,
  body: string,
  permissions: Partial<Record<Scope, 'read' | 'write'>>,
): Answer {
  let parsed: { query?: unknown; variables?: Record<string, unknown> };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return {
      status: 400,
      body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' },
    };
  }
  const query = String(parsed.query ?? '');
  const vars = parsed.variables ?? {};
  if (!/organization\s*\(\s*login:\s*\$org\s*\)/.test(query) || !/externalIdentities\s*\(/.test(query))
    return {
      status: 200,
      body: { errors: [{ message: 'The GitHub double answers only the SAML external identity lookup' }] },
    };
  if (String(vars.org ?? '').toLowerCase() !== org.login.toLowerCase())
    return {
      status: 200,
      body: {
        data: { organization: null },
        errors: [
          {
            type: 'NOT_FOUND',
            path: ['organization'],
            locations: [{ line: 2, column: 3 }],
            message: `Could not resolve to an Organization with the login of '${String(vars.org)}'.`,
          },
        ],
      },
    };
  if (!permissions.members)
    return {
      status: 200,
      body: {
        data: { organization: { samlIdentityProvider: null } },
        errors: [
          {
            type: 'FORBIDDEN',
            path: ['organization', 'samlIdentityProvider'],
            locations: [{ line: 3, column: 5 }],
            message: 'Resource not accessible by integration',
          },
        ],
      },
    };
  if (!org.samlEnabled) return { status: 200, body: { data: { organization: { samlIdentityProvider: null } } } };
  const userName = String(vars.userName ?? '').toLowerCase();
  const login = org.samlIdentities.get(userName);
  const nodes = login
    ? [{ samlIdentity: { nameId: userName, username: userName }, user: { login: org.user(login)?.login ?? login } }]
    : [];
  return { status: 200, body: { data: { organization: { samlIdentityProvider: { externalIdentities: { nodes } } } } } };
}
