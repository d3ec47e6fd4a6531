import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const PayloadSchema = z.object({
  u: z.string().regex(/^[UW][A-Z0-9]{2,}$/),
  p: z.enum(['link', 'step_up']),
  r: z.string().nullable(),
  e: z.number().int(),
  /** The link's own id: the sign-in it opens is keyed by it, so the link opens once (identity-service begin). */
  n: z.string().regex(/^[A-Za-z0-9_-]{22,}$/),
});
export type SignInToken = { userId: string; purpose: 'link' | 'step_up'; requestId: string | null };
export type VerifiedSignInToken = SignInToken & { linkId: string };

/**
 * The `token` of `/oidc/start?token=…`: who is signing in and why, signed with a key derived from the
 * Slack signing secret (another derivation than the audit links'), valid for a few minutes. The URL
 * never carries a bare user id the server would trust: without the bot's key no token can be made.
 * Each token has a random id, so the bot can refuse a second opening of the same link.
 */
export function createSignInTokens(secret: string, now: () => Date) {
  const key = createHash('sha256').update(`oidc-start:${secret}`).digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest('base64url');

  function sign(token: SignInToken, ttlSeconds = 600): string {
    const body = Buffer.from(
      JSON.stringify({
        u: token.userId,
        p: token.purpose,
        r: token.requestId,
        e: Math.floor(now().getTime() / 1000) + ttlSeconds,
        n: randomBytes(16).toString('base64url'),
      }),
    ).toString('base64url');
    return `${body}.${mac(body)}`;
  }

  function verify(
    value: string | null,
  ): { ok: true; token: VerifiedSignInToken } | { ok: false; reason: 'expired' | 'invalid' } {
    const [body, sig, ...rest] = (value ?? '').split('.');
    if (!body || !sig || rest.length > 0) return { ok: false, reason: 'invalid' };
    const expected = Buffer.from(mac(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
    let parsed;
    try {
      parsed = PayloadSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (!parsed.success) return { ok: false, reason: 'invalid' };
    if (parsed.data.e < Math.floor(now().getTime() / 1000)) return { ok: false, reason: 'expired' };
    const { u: userId, p: purpose, r: requestId, n: linkId } = parsed.data;
    return { ok: true, token: { userId, purpose, requestId, linkId } };
  }

  return { sign, verify };
}

export type SignInTokens = ReturnType<typeof createSignInTokens>;
