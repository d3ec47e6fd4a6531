/**
 * Personal tokens (services/personal-token-service.ts): a person's own credential for the request API,
 * the CLI and MCP. Their shape and lifetimes, shared by the service, the Slack command and the docs.
 */

/** Without `--expires`: a month. */
export const DEFAULT_TOKEN_MINUTES = 30 * 24 * 60;
/** A token is a person's standing credential outside Slack: it never lives longer than this. */
export const MAX_TOKEN_MINUTES = 90 * 24 * 60;
/** Shorter than this would expire before a person could paste it. */
export const MIN_TOKEN_MINUTES = 5;

/** A token's id, `pat_` and 10 characters of db/ids.ts's alphabet: not secret, it finds the row. */
export const TOKEN_ID = /^pat_[0-9a-z]{10}$/;
/** The whole token, `ark_pat_<10>_<43>`: the id, then the secret (never stored, only its SHA-256). */
export const PERSONAL_TOKEN = /^ark_(pat_[0-9a-z]{10})_([A-Za-z0-9_-]{43})$/;

export type TokenVia = 'slack' | 'device';
