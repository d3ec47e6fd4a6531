/** One answer of the double: JSON `body`, or plain `text`, or nothing (204). */
export interface Answer {
  status: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** The `documentation_url` GitHub puts in each endpoint's errors. */
export const DOCS = {
  rest: 'https://docs.github.com/rest',
  accessTokens: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app',
  getUser: 'https://docs.github.com/rest/users/users#get-a-user',
  orgMembership: 'https://docs.github.com/rest/orgs/members#get-organization-membership-for-a-user',
  teamMembership: 'https://docs.github.com/rest/teams/members#get-team-membership-for-a-user',
  addTeamMember: 'https://docs.github.com/rest/teams/members#add-or-update-team-membership-for-a-user',
  removeTeamMember: 'https://docs.github.com/rest/teams/members#remove-team-membership-for-a-user',
  listCollaborators: 'https://docs.github.com/rest/collaborators/collaborators#list-repository-collaborators',
  checkCollaborator:
    'https://docs.github.com/rest/collaborators/collaborators#check-if-a-user-is-a-repository-collaborator',
  addCollaborator: 'https://docs.github.com/rest/collaborators/collaborators#add-a-repository-collaborator',
  removeCollaborator: 'https://docs.github.com/rest/collaborators/collaborators#remove-a-repository-collaborator',
  listInvitations: 'https://docs.github.com/rest/collaborators/invitations#list-repository-invitations',
  updateInvitation: 'https://docs.github.com/rest/collaborators/invitations#update-a-repository-invitation',
  deleteInvitation: 'https://docs.github.com/rest/collaborators/invitations#delete-a-repository-invitation',
  primary: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api',
  secondary:
    'https://docs.github.com/free-pro-team@latest/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
} as const;

/** GitHub's `basic-error` JSON: message, documentation_url, and the status as a string. */
export function ghError(status: number, message: string, documentationUrl: string): Answer {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } };
}

export const notFound = (docs: string) => ghError(404, 'Not Found', docs);

/** What an installation token gets for an endpoint its app was not granted. */
export const notAccessible = (docs: string) => ghError(403, 'Resource not accessible by integration', docs);

/** GitHub's `validation-error` JSON (422). */
export function validationFailed(
  docs: string,
  errors: { resource: string; field: string; code: string; message?: string }[],
): Answer {
  return { status: 422, body: { message: 'Validation Failed', errors, documentation_url: docs, status: '422' } };
}
