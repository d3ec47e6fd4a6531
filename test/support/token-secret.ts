/**
 * The secret part of one of the bot's tokens (`ark_key_<id>_<secret>`, `ark_pat_<id>_<secret>`). The secret
 * is base64url and may hold `_` itself: splitting on `_` would test a fragment of it, a few characters
 * that a hash or a log line holds by chance now and then.
 */
export function tokenSecret(token: string): string {
  const secret = /^ark_(?:key|pat)_[0-9a-z]{10}_(.+)$/.exec(token)?.[1];
  if (!secret || secret.length < 32) throw new Error(`not a whole token: ${token.slice(0, 20)}…`);
  return secret;
}
