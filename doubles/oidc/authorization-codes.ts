import { createHash, randomBytes } from 'node:crypto';
import type { OidcUser } from './types.js';

/** What /authorize granted, waiting for /token: bound to the client, its redirect URI and PKCE challenge. */
export interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | null;
  user: OidcUser;
  authTime: number;
  used: boolean;
}

export type AuthorizationCodes = ReturnType<typeof createAuthorizationCodes>;

/**
 * The authorization codes /authorize hands out and /token redeems, once: a code presented a second time is
 * refused and forgotten (RFC 6749 §4.1.2 says to revoke what it gave; here nothing more is kept to revoke).
 */
export function createAuthorizationCodes() {
  const codes = new Map<string, Grant>();
  return {
    issue(grant: Omit<Grant, 'used'>): string {
      const code = randomBytes(24).toString('base64url');
      codes.set(code, { ...grant, used: false });
      return code;
    },
    /**
     * The grant behind `code` if it was issued to this client for this redirect URI, not redeemed before, and
     * `verifier` hashes to its S256 challenge; else null (invalid_grant). A wrong verifier still uses the code.
     */
    redeem(code: string, clientId: string, redirectUri: string | null, verifier: string): Grant | null {
      const grant = codes.get(code);
      if (!grant || grant.clientId !== clientId || grant.redirectUri !== redirectUri) return null;
      if (grant.used) {
        codes.delete(code);
        return null;
      }
      grant.used = true;
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      return challenge === grant.challenge ? grant : null;
    },
  };
}
