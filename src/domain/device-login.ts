/**
 * Logging in the CLI through the company identity provider (OAuth 2.0 Device Authorization Grant, RFC 8628):
 * the CLI runs the grant with the provider itself, as a public client the operator registered for it
 * (OIDC_CLI_CLIENT_ID), and trades the ID token it gets for a personal token at the bot. These are the
 * two unauthenticated endpoints' shapes, shared by the server (http/device-login-routes.ts) and the CLI.
 */

/** GET /api/v1/login: how this bot lets the CLI log in. */
export interface LoginMethodsDto {
  methods: Array<'token' | 'device'>;
  /** With 'device': where the CLI runs the grant. */
  device?: { issuer: string; client_id: string; scope: string };
}

/** POST /api/v1/tokens/exchange's body: the ID token the provider issued to the CLI's client. */
export interface TokenExchangeBody {
  id_token: string;
  /** What to call the personal token (e.g. "access-requests on laptop-7"); the bot picks one when absent. */
  name?: string;
}

/** Its answer (201): the personal token, shown this once, as `/access token create` shows it in Slack. */
export interface TokenExchangeDto {
  token: string;
  id: string;
  name: string;
  expires_at: string;
  /** The Slack user the token acts as. */
  user: string;
}

/** How long a personal token made by a device login lives: a week, then the person logs in again. */
export const DEVICE_TOKEN_DAYS = 7;

/**
 * The longest an ID token may have been issued before it is exchanged. The CLI exchanges it the moment the
 * provider hands it over; an older one is a token that travelled elsewhere first.
 */
export const ID_TOKEN_MAX_AGE_SECONDS = 600;
