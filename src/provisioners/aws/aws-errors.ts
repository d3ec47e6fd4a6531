import { PermanentProvisioningError } from '../port.js';

/** What AWS SDK v3 errors carry (service exceptions and the SDK's own errors). */
interface SdkError extends Error {
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
  code?: string;
}

const AUTH_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
]);
const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded']);

/** The IAM action each call needs, named in the sentence when AWS refuses it. */
const ACTION_OF: Record<string, string> = {
  GetUserId: 'identitystore:GetUserId',
  CreateAccountAssignment: 'sso:CreateAccountAssignment',
  DeleteAccountAssignment: 'sso:DeleteAccountAssignment',
  DescribeAccountAssignmentCreationStatus: 'sso:DescribeAccountAssignmentCreationStatus',
  DescribeAccountAssignmentDeletionStatus: 'sso:DescribeAccountAssignmentDeletionStatus',
  ListAccountAssignments: 'sso:ListAccountAssignments',
};

export const errorName = (e: unknown): string => (e instanceof Error ? e.name : '');

/**
 * Turns an SDK error into what the provisioning service acts on: a PermanentProvisioningError with a
 * sentence an approver or admin can act on (credentials, IAM policy, settings), or a plain Error that
 * the outbox retries with backoff (throttling the SDK's own retries did not absorb, 5xx, network).
 * `redact` removes the secret access key from anything AWS or a proxy might echo.
 */
export function classifyAwsError(
  e: unknown,
  operation: string,
  doing: string,
  redact: (text: string) => string,
): Error {
  if (e instanceof PermanentProvisioningError) return e;
  const err = e as SdkError;
  const name = errorName(e) || 'Error';
  const detail = redact(String(err.message ?? '').slice(0, 300));
  const status = err.$metadata?.httpStatusCode;
  if (AUTH_ERRORS.has(name)) {
    return new PermanentProvisioningError(
      `AWS did not accept the bot's credentials while ${doing} (${name}: ${detail}). Check access_key_id/secret_access_key, or what the standard AWS credential chain finds, and the bot's clock`,
    );
  }
  if (name === 'CredentialsProviderError') {
    return new PermanentProvisioningError(
      `no AWS credentials found while ${doing}: give access_key_id and secret_access_key, or configure the standard AWS credential chain (role, profile, environment)`,
    );
  }
  if (name === 'AccessDeniedException') {
    return new PermanentProvisioningError(
      `AWS refused ${doing} (AccessDeniedException: ${detail}). The bot's IAM policy must allow ${ACTION_OF[operation] ?? operation} (see docs/provisioners/aws.md)`,
    );
  }
  if (THROTTLING.has(name)) return new Error(`AWS throttled ${doing} (${name}); will retry`);
  if (
    name === 'ResourceNotFoundException' ||
    name === 'ValidationException' ||
    name === 'ServiceQuotaExceededException'
  ) {
    return new PermanentProvisioningError(
      `AWS refused ${doing} (${name}: ${detail}). Check the resource's instance_arn, account_id and permission_sets`,
    );
  }
  if (err.$fault === 'server' || (status !== undefined && status >= 500))
    return new Error(`AWS answered ${status ?? ''} ${name} while ${doing}; will retry`.replace('  ', ' '));
  if (status !== undefined && status >= 400)
    return new PermanentProvisioningError(`AWS answered ${status} ${name} while ${doing}: ${detail}`);
  // No HTTP answer at all: the network, a timeout, DNS. Worth retrying.
  return new Error(
    `AWS unreachable while ${doing}: ${redact(`${err.code ?? name} ${err.message ?? ''}`.trim()).slice(0, 200)}`,
  );
}
