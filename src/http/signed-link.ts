import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived links to the audit pages, signed with a key derived from the Slack signing secret:
 * whoever holds the link can open it until it expires, nobody can make one without the bot.
 */
export function createLinkSigner(secret: string, publicUrl: () => string, now: () => Date) {
  const key = createHash('sha256').update(`audit-pages:${secret}`).digest();
  const mac = (path: string, exp: number) => createHmac('sha256', key).update(`${path}\n${exp}`).digest('base64url');

  function link(path: string, ttlSeconds = 900): string {
    const exp = Math.floor(now().getTime() / 1000) + ttlSeconds;
    const base = publicUrl().replace(/\/$/, '');
    return `${base}${path}?exp=${exp}&sig=${mac(path, exp)}`;
  }

  /** The same query string for another path (assets of a signed page share its expiry). */
  function query(path: string, exp: number): string {
    return `exp=${exp}&sig=${mac(path, exp)}`;
  }

  function verify(
    path: string,
    params: URLSearchParams,
  ): { ok: true; exp: number } | { ok: false; reason: 'expired' | 'invalid' } {
    const exp = Number(params.get('exp'));
    const sig = params.get('sig') ?? '';
    if (!Number.isInteger(exp) || !sig) return { ok: false, reason: 'invalid' };
    const expected = Buffer.from(mac(path, exp));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
    if (exp < Math.floor(now().getTime() / 1000)) return { ok: false, reason: 'expired' };
    return { ok: true, exp };
  }

  return { link, query, verify };
}

export type LinkSigner = ReturnType<typeof createLinkSigner>;
