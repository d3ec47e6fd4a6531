import type { GraphError } from '@microsoft/microsoft-graph-client';
import { PermanentProvisioningError } from '../port.js';

/**
 * Graph and sign-in failures as the approver should read them: permanent when retrying cannot help
 * (bad credentials, missing permission, unknown group), an ordinary Error (retried by the outbox with
 * backoff) when the service is down, throttling past what a call waits out, or unreachable.
 */

export const statusOf = (error: unknown): number => Number((error as { statusCode?: unknown })?.statusCode ?? -1);

export function isAlreadyMember(error: unknown): boolean {
  const e = error as GraphError;
  return statusOf(e) === 400 && /already exist/i.test(String(e.message)) && /members/i.test(String(e.message));
}

/** Graph's error code and message, cut short. */
const detail = (e: GraphError) => `${e.code ? `${e.code}: ` : ''}${String(e.message ?? '').slice(0, 200)}`;

export function graphFailure(
  error: GraphError,
  doing: string,
  permission: string,
  redact: (t: string) => string,
): Error {
  const status = statusOf(error);
  const what = redact(detail(error));
  if (status === 401) {
    return new PermanentProvisioningError(
      `Microsoft Graph refused the app's token while ${doing} (401 ${what}); check tenant_id and that the app registration belongs to that tenant.`,
    );
  }
  if (status === 403) {
    return new PermanentProvisioningError(
      `Microsoft Graph answered 403 while ${doing} (${what}): the app registration needs the application permission ${permission} with admin consent; a role-assignable group also needs RoleManagement.ReadWrite.Directory (or make the app an owner of the group).`,
    );
  }
  if (status === 429) {
    const wait = error.headers?.get?.('Retry-After');
    return new Error(
      `Microsoft Graph is throttling the app while ${doing} (429${wait ? `, Retry-After ${wait}s` : ''}); will retry.`,
    );
  }
  if (status >= 500 || status === 408)
    return new Error(`Microsoft Graph answered ${status} while ${doing} (${what}); will retry.`);
  if (status < 0) return new Error(`Microsoft Graph could not be reached while ${doing}: ${what}`);
  return new PermanentProvisioningError(`Microsoft Graph answered ${status} while ${doing} (${what}).`);
}

/** OAuth errors of the token endpoint that no retry fixes (RFC 6749 section 5.2, and Entra's own). */
const PERMANENT_OAUTH = new Set([
  'invalid_client',
  'unauthorized_client',
  'invalid_request',
  'invalid_scope',
  'invalid_resource',
  'unsupported_grant_type',
  'invalid_grant',
  'invalid_tenant',
]);

/**
 * A failed sign-in (the token request). @azure/identity hands MSAL's error on as a message only
 * (`invalid_client: Error(s): 7000215 - … - Description: AADSTS7000215: … Trace ID: …`), so the OAuth
 * error code is read from its start. Entra's descriptions name the cause, never the secret.
 */
export function describeTokenFailure(
  error: unknown,
  s: { tenantId: string; clientId: string; authorityHost: string },
  redact: (t: string) => string,
): Error {
  const message = redact(String((error as { message?: unknown })?.message ?? error));
  const code = /^([a-z_]+):/.exec(message)?.[1] ?? '';
  if (PERMANENT_OAUTH.has(code)) {
    const description = (/Description: (.*?)(?: Trace ID:| - Correlation ID:|$)/.exec(message)?.[1] ?? message).slice(
      0,
      300,
    );
    return new PermanentProvisioningError(
      `Entra ID refused the app's sign-in (${code}: ${description}); check tenant_id ${s.tenantId}, client_id ${s.clientId} and the client_secret value (not its id), and that it has not expired.`,
    );
  }
  if (code === 'endpoints_resolution_error') {
    return new Error(
      `Could not read the OpenID configuration of tenant ${s.tenantId} from ${s.authorityHost}: the authority is unreachable or the tenant id is wrong; will retry.`,
    );
  }
  return new Error(
    `Could not get a token for Microsoft Graph from ${s.authorityHost} (tenant ${s.tenantId}): ${message.split('\n')[0]!.slice(0, 300)}`,
  );
}
