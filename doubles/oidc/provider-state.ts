import type http from 'node:http';
import type { OidcCall, OidcDoubleOptions, OidcUser, TokenFault, UserInfoFault } from './types.js';

/**
 * What the double's endpoints share: its options, where it listens (known once it does), and the switches the
 * handle flips. One mutable object, so every endpoint reads a switch as it is at the time of the request.
 */
export interface ProviderState {
  options: OidcDoubleOptions;
  clientSecret: string | null;
  issuer: string;
  /** Who /authorize signs in (auto-consent); null: nobody. */
  user: OidcUser | null;
  tokenFault: TokenFault | null;
  /** ID tokens without `email` / `email_verified`. */
  thin: boolean;
  userInfoFault: UserInfoFault | null;
  /** `prompt=login` and `max_age` ignored. */
  lax: boolean;
  lastAuthorize: URLSearchParams | null;
  /** The status the next /token answers with, if any. */
  failToken: number | null;
}

/** Records the call being answered, with its status (and, for /token, how the client authenticated). */
export type RecordCall = (status: number, extra?: Partial<OidcCall>) => void;

/** Seconds since the epoch by real time: what openid-client checks `iat` and `exp` against. */
export const realNow = () => Math.floor(Date.now() / 1000);

export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
