import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const PayloadSchema = z.object({
  u: z.string().regex(/^[UW][A-Z0-9]{2,}$/),
  p: z.enum(['link', 'step_up']),
  r: z.string().nullable(),
  e: z.number().int(),
});
export type SignInToken = { userId: string; purpose: 'link' | 'step_up'; requestId: string | null };

/**
 * The `token` of `/oidc/start?token=…`: who is signing in and why, signed with a key derived from the
 * Slack signing secret (another derivation than the audit links'), valid for a few minutes. The URL
 * never carries a bare user id the server would trust: without the bot's key no token can be made.
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
      }),
    ).toString('base64url');
    return `${body}.${mac(body)}`;
  }

  function verify(
    value: string | null,
  ): { ok: true; token: SignInToken } | { ok: false; reason: 'expired' | 'invalid' } {
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
    return { ok: true, token: { userId: parsed.data.u, purpose: parsed.data.p, requestId: parsed.data.r } };
  }

  return { sign, verify };
}

export type SignInTokens = ReturnType<typeof createSignInTokens>;
