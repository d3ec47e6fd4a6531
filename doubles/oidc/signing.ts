import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { realNow, type ProviderState } from './provider-state.js';
import type { OidcUser } from './types.js';

/** What an ID token is about: the client it is for, the request's nonce, who signed in and when. */
export interface IdTokenGrant {
  clientId: string;
  nonce: string | null;
  user: OidcUser;
  authTime: number;
}

/** An access token /token issued: whom it is about, until when (UserInfo's bearer). */
interface AccessToken {
  user: OidcUser;
  expiresAt: number;
}

export type TokenIssuer = Awaited<ReturnType<typeof createTokenIssuer>>;

/**
 * The double's keys and the tokens it signs: one RS256 key published in the JWKS, a stranger's key for the
 * `wrong_key` fault, ID tokens shaped by the token fault and thin-token switches as they are when signed, and
 * the access tokens /userinfo accepts (five minutes each).
 */
export async function createTokenIssuer(state: ProviderState) {
  const signing = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256');
  const kid = randomBytes(8).toString('hex');
  const publicJwk: JWK = { ...(await exportJWK(signing.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const accessTokens = new Map<string, AccessToken>();

  async function idToken(grant: IdTokenGrant): Promise<string> {
    const { tokenFault, issuer } = state;
    const t = realNow();
    const claims: Record<string, unknown> = {
      ...(state.thin ? {} : { email: grant.user.email, email_verified: grant.user.emailVerified ?? true }),
      auth_time: grant.authTime,
      amr: grant.user.amr ?? ['pwd'],
      ...(grant.user.acr ? { acr: grant.user.acr } : {}),
      ...(grant.nonce ? { nonce: tokenFault === 'wrong_nonce' ? 'someone-elses-nonce' : grant.nonce } : {}),
    };
    const exp = tokenFault === 'expired' ? t - 600 : t + 300;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(tokenFault === 'wrong_issuer' ? `${issuer}/other` : issuer)
      .setSubject(grant.user.sub)
      .setAudience(tokenFault === 'wrong_audience' ? 'another-client' : grant.clientId)
      .setIssuedAt(tokenFault === 'expired' ? t - 900 : t)
      .setExpirationTime(exp)
      .sign((tokenFault === 'wrong_key' ? stranger.privateKey : signing.privateKey) as CryptoKey);
  }

  return {
    publicJwk,
    /** A token response: a fresh access token for the grant's person and an ID token about them. */
    async tokenResponse(grant: IdTokenGrant, scope: string) {
      const accessToken = randomBytes(24).toString('base64url');
      accessTokens.set(accessToken, { user: grant.user, expiresAt: realNow() + 300 });
      return {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await idToken(grant),
        scope,
      };
    },
    /** Whom a presented access token is about, or null if it is unknown or expired. */
    holder(accessToken: string | undefined): OidcUser | null {
      const token = accessToken ? accessTokens.get(accessToken) : undefined;
      return !token || token.expiresAt < realNow() ? null : token.user;
    },
  };
}
