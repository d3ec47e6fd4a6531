import { HTTPS_ONLY, parseHttpUrl } from '../http-url.js';
import { PermanentProvisioningError } from '../port.js';
import { isSecretRef } from '../secrets.js';

/** The settings of an `aws` resource (an AWS account in an IAM Identity Center instance), read once. */
export interface AwsSettings {
  instanceArn: string;
  identityStoreId: string;
  accountId: string;
  region: string;
  /** Permission set name -> ARN: what approvers may pick. */
  permissionSets: Record<string, string>;
  /** Which identity-store attribute the requester's e-mail is matched against. */
  userAttribute: 'emails.value' | 'userName';
  portalUrl: string | null;
  /** Only for tests and the sandbox: where both AWS clients send their requests. */
  endpoint: string | null;
  /** Static keys (resolved secret references); without them the SDK's standard credential chain is used. */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
}

// Patterns from the sso-admin and identitystore API references.
const INSTANCE_ARN = /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;
const PERMISSION_SET_ARN =
  /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::permissionSet\/(sso)?ins-[a-zA-Z0-9-.]{16}\/ps-[a-zA-Z0-9-./]{16}$/;
const IDENTITY_STORE_ID = /^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
// Permission set names: 1-32 characters of [\w+=,.@-].
const PERMISSION_SET_NAME = /^[\w+=,.@-]{1,32}$/;

const instanceIdOf = (arn: string) => arn.split('/')[1];

/** Checks shape only; `resolved` says whether secret references were already replaced by values. */
function problemWith(s: Record<string, unknown>, resolved: boolean): string | null {
  if (typeof s.instance_arn !== 'string' || !INSTANCE_ARN.test(s.instance_arn))
    return 'instance_arn must be an IAM Identity Center instance ARN, e.g. arn:aws:sso:::instance/ssoins-1234567890abcdef';
  if (typeof s.identity_store_id !== 'string' || !IDENTITY_STORE_ID.test(s.identity_store_id))
    return 'identity_store_id must be the identity store id, e.g. d-1234567890';
  if (typeof s.account_id !== 'string' || !ACCOUNT_ID.test(s.account_id))
    return 'account_id must be the 12-digit AWS account id (quote it in YAML)';
  if (typeof s.region !== 'string' || !REGION.test(s.region))
    return 'region must be the region of the Identity Center instance, e.g. eu-west-1';
  const sets = s.permission_sets;
  if (!sets || typeof sets !== 'object' || Array.isArray(sets) || Object.keys(sets).length === 0) {
    return 'permission_sets must map the names approvers pick to permission set ARNs, e.g. { ReadOnly: "arn:aws:sso:::permissionSet/ssoins-…/ps-…" }';
  }
  for (const [name, arn] of Object.entries(sets as Record<string, unknown>)) {
    if (!PERMISSION_SET_NAME.test(name))
      return `permission set name "${name}" must be 1-32 letters, digits or + = , . @ _ -`;
    if (typeof arn !== 'string' || !PERMISSION_SET_ARN.test(arn))
      return `permission_sets.${name} must be a permission set ARN, e.g. arn:aws:sso:::permissionSet/ssoins-…/ps-…`;
    if (instanceIdOf(arn) !== instanceIdOf(s.instance_arn))
      return `permission_sets.${name} belongs to another Identity Center instance than instance_arn`;
  }
  if (s.user_attribute !== undefined && s.user_attribute !== 'email' && s.user_attribute !== 'userName')
    return 'user_attribute must be "email" (the default) or "userName"';
  if (s.portal_url !== undefined && parseHttpUrl(s.portal_url)?.protocol !== 'https:')
    return 'portal_url must be the https URL of the AWS access portal, e.g. https://d-1234567890.awsapps.com/start';
  if (s.endpoint !== undefined && !parseHttpUrl(s.endpoint)) return `endpoint (for tests only) must be ${HTTPS_ONLY}`;
  const keys = [s.access_key_id, s.secret_access_key];
  if (keys.some((k) => k !== undefined)) {
    if (keys.some((k) => k === undefined))
      return 'give both access_key_id and secret_access_key, or neither (then the standard AWS credential chain is used)';
    if (!resolved && !keys.every(isSecretRef))
      return 'access_key_id and secret_access_key must be secret references (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR), never the keys themselves';
    if (resolved && !keys.every((k) => typeof k === 'string' && k !== ''))
      return 'access_key_id and secret_access_key are empty';
  }
  return null;
}

export const validateAwsSettings = (s: Record<string, unknown>) => problemWith(s, false);

/** The names approvers may pick (the permission_sets keys). */
export function permissionSetNames(s: Record<string, unknown>): string[] {
  const sets = s.permission_sets;
  return sets && typeof sets === 'object' && !Array.isArray(sets) ? Object.keys(sets) : [];
}

/** Settings arrive resolved; a resource saved before validation existed may still be broken. */
export function readAwsSettings(s: Record<string, unknown>): AwsSettings {
  const problem = problemWith(s, true);
  if (problem) throw new PermanentProvisioningError(`aws settings: ${problem}`);
  return {
    instanceArn: s.instance_arn as string,
    identityStoreId: s.identity_store_id as string,
    accountId: s.account_id as string,
    region: s.region as string,
    permissionSets: { ...(s.permission_sets as Record<string, string>) },
    userAttribute: s.user_attribute === 'userName' ? 'userName' : 'emails.value',
    portalUrl: typeof s.portal_url === 'string' ? s.portal_url : null,
    endpoint: typeof s.endpoint === 'string' ? s.endpoint : null,
    credentials:
      typeof s.access_key_id === 'string'
        ? { accessKeyId: s.access_key_id, secretAccessKey: s.secret_access_key as string }
        : null,
  };
}
