import { parseHttpUrl } from '../http-url.js';
import { PermanentProvisioningError, type GrantContext } from '../port.js';

/**
 * The settings of a `gcp` resource: which project or folder, the roles approvers may grant, how the
 * requester is named in IAM, and (tests only) where the Google endpoints are.
 */
export interface GcpSettings {
  /** `projects/<id>` or `folders/<number>`: the Resource Manager resource whose policy is edited. */
  resource: string;
  roles: string[];
  principal: string;
  /** Base URL of a local Google double, or null for Google itself. */
  apiUrl: URL | null;
}

// Project ids: 6-30 characters, lower-case letters, digits and hyphens, a letter first, no hyphen last.
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const FOLDER_ID = /^[0-9]{1,20}$/;
const ROLE_ID =
  /^(roles\/[A-Za-z0-9_.]{1,64}|(projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]|organizations\/[0-9]{1,20})\/roles\/[A-Za-z0-9_.]{3,64})$/;
/** Google refuses IAM Conditions on the legacy basic roles; every grant here carries one. */
const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);
const DEFAULT_PRINCIPAL = 'user:{email}';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function validateGcpSettings(s: Record<string, unknown>): string | null {
  const hasProject = s.project !== undefined;
  const hasFolder = s.folder !== undefined;
  if (hasProject === hasFolder)
    return 'name exactly one of project (a project id such as my-project) or folder (a folder number such as "123456789012")';
  if (hasProject && (typeof s.project !== 'string' || !PROJECT_ID.test(s.project)))
    return 'project must be a Google Cloud project id: 6-30 lower-case letters, digits and hyphens, starting with a letter';
  if (hasFolder && !FOLDER_ID.test(String(s.folder)))
    return 'folder must be a folder number such as "123456789012" (quote it in YAML)';
  if (!Array.isArray(s.roles) || s.roles.length === 0)
    return 'roles must list the IAM roles approvers may grant, e.g. [roles/logging.viewer, roles/compute.instanceAdmin.v1]';
  for (const role of s.roles) {
    if (typeof role !== 'string' || !ROLE_ID.test(role))
      return `"${String(role)}" is not an IAM role id (roles/NAME, projects/PROJECT/roles/NAME or organizations/NUMBER/roles/NAME)`;
    if (BASIC_ROLES.has(role))
      return `${role} is a basic role: Google does not allow conditions on basic roles, and every grant here ends by an IAM condition; pick predefined or custom roles`;
  }
  if (s.principal !== undefined) {
    if (
      typeof s.principal !== 'string' ||
      !(s.principal.startsWith('user:') || s.principal.startsWith('principal://'))
    ) {
      return 'principal must be a user:… or principal://… template with {email} or {email_local}, e.g. "user:{email_local}@corp.example"';
    }
    if (!/\{email(_local)?\}/.test(s.principal) || /\s/.test(s.principal))
      return 'principal must contain {email} or {email_local} and no spaces';
  }
  if (s.api_url !== undefined) {
    const url = parseHttpUrl(s.api_url);
    // The override also receives the service account's signed assertion: it must never leave the machine.
    if (!url || !LOOPBACK.has(url.hostname))
      return 'api_url is for tests against a local Google double only (an http://127.0.0.1:PORT URL); leave it out for Google';
  }
  return null;
}

export function readGcpSettings(s: Record<string, unknown>): GcpSettings {
  const problem = validateGcpSettings(s);
  if (problem) throw new PermanentProvisioningError(`gcp settings: ${problem}`);
  return {
    resource: s.project !== undefined ? `projects/${String(s.project)}` : `folders/${String(s.folder)}`,
    roles: (s.roles as string[]).slice(),
    principal: typeof s.principal === 'string' ? s.principal : DEFAULT_PRINCIPAL,
    apiUrl: s.api_url === undefined ? null : parseHttpUrl(s.api_url),
  };
}

/** The IAM member for the requester: the principal template filled with their Slack e-mail. */
export function memberFor(ctx: GrantContext, s: GcpSettings): string {
  const email = ctx.requesterEmail?.trim().toLowerCase();
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new PermanentProvisioningError(
      'the requester has no e-mail address in their Slack profile, so no Google account can be named for them; nothing was granted',
    );
  }
  return s.principal.replaceAll('{email_local}', email.slice(0, email.indexOf('@'))).replaceAll('{email}', email);
}
