import { randomBytes } from 'node:crypto';

// Crockford-style alphabet without look-alikes (no i, l, o, u): ids are read aloud and typed in `/access revoke`.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** "req_7f3k2m9x4q": a type prefix and 10 random characters (50 bits: plenty for one workspace). */
export function newId(
  prefix: 'req' | 'grt' | 'res' | 'flw' | 'key' | 'ses' | 'rev' | 'pat' | 'bdl' | 'bdr',
  length = 10,
): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 32];
  return `${prefix}_${out}`;
}
