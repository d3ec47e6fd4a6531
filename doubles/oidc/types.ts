/** The OIDC double's public shapes: the people it signs in, its switches, what it records, its options. */

export interface OidcUser {
  sub: string;
  email: string;
  emailVerified?: boolean;
  /** RFC 8176 methods of the sign-in, e.g. ['pwd', 'mfa'] (default ['pwd']). */
  amr?: string[];
  acr?: string;
  /** How long ago the person authenticated, in seconds (default 0: now; a `prompt=login` resets it to 0). */
  authAgeSeconds?: number;
}

export type TokenFault = 'expired' | 'wrong_key' | 'wrong_audience' | 'wrong_issuer' | 'wrong_nonce';

export interface OidcCall {
  path: string;
  status: number;
  /** For /token: how the client authenticated. */
  clientAuth?: 'basic' | 'post' | 'none' | 'bad';
}

/** `wrong_subject`: /userinfo answers with another person's `sub` than the ID token's (a mix-up to detect). */
export type UserInfoFault = 'wrong_subject';

export interface OidcDouble {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  calls: OidcCall[];
  /** Who /authorize signs in (auto-consent); null: it answers error=login_required. */
  signInAs(user: OidcUser | null): void;
  /** The next ID tokens carry this fault (null: none). */
  fault(fault: TokenFault | null): void;
  /** On: ID tokens carry no `email` / `email_verified`; only /userinfo gives them (OIDC Core 5.4, Okta). */
  thinIdTokens(on: boolean): void;
  /** /userinfo answers with this fault (null: none). */
  userInfoFault(fault: UserInfoFault | null): void;
  /** On: `prompt=login` and `max_age` are ignored, `auth_time` stays the earlier sign-in's (a lax provider). */
  ignoreReauthentication(on: boolean): void;
  /** The parameters of the last /authorize (to check state, nonce, PKCE and prompt were sent). */
  lastAuthorize(): URLSearchParams | null;
  /** The next /token answers 5xx. */
  failNextToken(status?: number): void;
  stop(): Promise<void>;
}

export interface OidcDoubleOptions {
  clientId: string;
  clientSecret?: string | null;
  user?: OidcUser | null;
  now?: () => Date;
  /** With nobody signed in, /authorize shows a tiny form to pick one of these people (the sandbox). */
  people?: Array<{ sub: string; email: string; name: string }>;
  /**
   * The client's registered redirect URIs, read at each /authorize (the sandbox learns its port late); any
   * other is refused on a page, never redirected to (RFC 6749 §3.1.2.4). Absent: any is accepted (the tests').
   */
  redirectUris?: () => string[];
  /** Public clients (no secret) that may use the device authorization grant: a CLI's client id. */
  deviceClients?: string[];
  /** Seconds the device grant's client is told to wait between polls (RFC 8628 `interval`; default 5). */
  deviceInterval?: number;
  /** Seconds a device code lives (RFC 8628 `expires_in`; default 600). */
  deviceExpiresIn?: number;
}
