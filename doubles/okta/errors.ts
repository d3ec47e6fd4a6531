import { randomBytes } from 'node:crypto';

/** What the double answers a call with, before it is written out (JSON body, Okta's headers). */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Okta's error JSON: `{ errorCode, errorSummary, errorLink, errorId, errorCauses }`. */
export function oktaError(
  status: number,
  errorCode: string,
  errorSummary: string,
  headers?: Record<string, string>,
): Answer {
  const errorId = `oae${randomBytes(11).toString('base64url')}`;
  return { status, body: { errorCode, errorSummary, errorLink: errorCode, errorId, errorCauses: [] }, headers };
}

export const notFound = (id: string, kind: 'User' | 'UserGroup' | 'Endpoint') =>
  oktaError(404, 'E0000007', `Not found: Resource not found: ${id} (${kind})`);
export const forbidden = (headers?: Record<string, string>) =>
  oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', headers);
export const methodNotSupported = () =>
  oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');
export const invalidSearch = () => oktaError(400, 'E0000031', 'Invalid search criteria.');
export const rateLimited = () => oktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
export const serverError = (status: number) => oktaError(status, 'E0000009', 'Internal Server Error');
