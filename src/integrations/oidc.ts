import type * as client from 'openid-client';
import type { Logger } from 'pino';
import { AppError } from '../domain/errors.js';
import type { OidcProvider, SignInClaims, VerifiedIdToken } from '../services/ports.js';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only, token_endpoint_auth_method none). */
  clientSecret?: string | undefined;
  scopes: string;
  /** `${PUBLIC_URL}/oidc/callback`, read when needed (the port may be picked at start-up). */
  redirectUri: () => string;
}

/**
 * openid-client (with jose and oauth4webapi, about 6 MiB) is imported only where OIDC is configured:
 * openIdProvider starts the import in the background, so the first sign-in does not wait for it. Node
 * caches the module; a failed import shows at the sign-in, which imports again.
 */
const openid = () => import('openid-client');

/** http:// issuers are allowed only on this machine (the provider double, a local Keycloak). */
const isLocal = (url: URL) => url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

/**
 * Why openid-client refused the answer, as a sentence a person may read (never the token itself).
 * The codes are oauth4webapi's; anything else is a provider that could not be reached or answered badly.
 */
function reasonOf(error: unknown): string {
  // openid-client wraps oauth4webapi's error: read the whole chain (codes, messages, the claim compared).
  const chain: Array<{ code?: string; message?: string; error?: string; claim?: string; cause?: unknown }> = [];
  for (let e = error; e && typeof e === 'object' && chain.length < 4; e = (e as { cause?: unknown }).cause)
    chain.push(e as never);
  const codes = chain.map((e) => e.code ?? '').join(' ');
  const text = chain.map((e) => `${e.message ?? ''} ${e.claim ?? ''}`).join(' ');
  const oauthError = chain.find((e) => typeof e.error === 'string')?.error;
  // fetchUserInfo's check that UserInfo speaks of the ID token's subject (OIDC Core 5.3.2).
  if (/"sub"/.test(text))
    return "The identity provider's UserInfo answer is about another person than the ID token (subject mismatch).";
  if (/TIMESTAMP_CHECK/.test(codes) || /"exp"|expired|expiration/.test(text))
    return 'The identity provider sent an expired ID token.';
  if (/SIGNATURE/.test(codes) || /signature/i.test(text))
    return "The ID token's signature does not match the identity provider's keys.";
  if (/"aud"|\baud\b|audience/.test(text)) return 'The ID token was issued for another application, not this bot.';
  if (/nonce/.test(text)) return 'The ID token does not belong to this sign-in (nonce mismatch).';
  if (/"iss"|\biss\b|issuer/.test(text)) return 'The ID token was issued by another identity provider.';
  if (/state/.test(text)) return 'The answer does not belong to this sign-in (state mismatch).';
  if (oauthError === 'invalid_grant')
    return 'The identity provider refused the sign-in code (used already, expired, or the PKCE check failed).';
  if (oauthError) return `The identity provider refused the sign-in (${oauthError}).`;
  return 'The identity provider could not be reached or answered in a way that could not be verified.';
}

/** Why jose refused an ID token, as a sentence (its codes: ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED, …). */
function idTokenReason(error: unknown): string {
  const e = error as { code?: string; claim?: string; reason?: string };
  if (e.code === 'ERR_JWT_EXPIRED') return 'The ID token has expired: log in again.';
  if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (e.claim === 'iat') return 'The ID token was issued too long ago: log in again.';
    if (e.claim === 'aud') return "The ID token was issued for another application, not this bot's CLI.";
    if (e.claim === 'iss') return 'The ID token was issued by another identity provider.';
    return `The ID token's "${e.claim ?? 'claims'}" could not be accepted.`;
  }
  if (e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || e.code === 'ERR_JWKS_NO_MATCHING_KEY')
    return "The ID token's signature does not match the identity provider's keys.";
  if (e.code === 'ERR_JWS_INVALID' || e.code === 'ERR_JWT_INVALID' || e.code === 'ERR_JOSE_ALG_NOT_ALLOWED')
    return 'That is not an ID token this bot accepts.';
  return 'The identity provider could not be reached to check the ID token.';
}

/** The e-mail and its verification from UserInfo (null when the provider has none for this person). */
async function userInfoEmail(
  config: client.Configuration,
  accessToken: string,
  subject: string,
): Promise<{ email: string | null; verified: boolean }> {
  const info = await (await openid()).fetchUserInfo(config, accessToken, subject);
  return {
    email: typeof info.email === 'string' ? info.email : null,
    verified: info.email_verified === true,
  };
}

/** What the log keeps of a refusal: codes and messages of the chain, never the response (it holds tokens). */
function logged(error: unknown) {
  const out: Array<{ code?: string; message?: string; error?: string }> = [];
  for (let e = error; e && typeof e === 'object' && out.length < 4; e = (e as { cause?: unknown }).cause) {
    const x = e as { code?: string; message?: string; error?: string };
    out.push({ code: x.code, message: x.message, error: typeof x.error === 'string' ? x.error : undefined });
  }
  return out;
}

/**
 * The bot as an OpenID Connect relying party through openid-client (certified): discovery, authorization
 * code with PKCE (S256), and the ID token's issuer, audience, signature (JWKS), expiry and nonce checked
 * by the library. Discovery happens on first use and again after a failure.
 */
export function openIdProvider(settings: OidcSettings, logger: Logger): OidcProvider {
  const issuerUrl = new URL(settings.issuer);
  openid().catch(() => undefined);
  let discovered: Promise<client.Configuration> | null = null;

  function configuration(): Promise<client.Configuration> {
    discovered ??= openid()
      .then((client) =>
        client
          .discovery(
            issuerUrl,
            settings.clientId,
            settings.clientSecret ? { client_secret: settings.clientSecret } : { token_endpoint_auth_method: 'none' },
            settings.clientSecret ? client.ClientSecretBasic(settings.clientSecret) : client.None(),
            { execute: isLocal(issuerUrl) ? [client.allowInsecureRequests] : [], timeout: 10 },
          )
          .then((config) => [client, config] as const),
      )
      .then(([client, config]) => {
        // ID tokens from the token endpoint are trusted over TLS by default (OIDC Core 3.1.3.7); we verify
        // their signature against the provider's JWKS anyway: a proxy or a http:// test provider proves nothing.
        client.enableNonRepudiationChecks(config);
        return config;
      })
      .catch((error: unknown) => {
        discovered = null;
        throw error;
      });
    return discovered;
  }

  /** The provider's keys through jose (cached, refetched when a token names an unknown key id). */
  let keys: Promise<ReturnType<typeof import('jose').createRemoteJWKSet>> | null = null;
  function jwks() {
    keys ??= Promise.all([configuration(), import('jose')])
      .then(([config, jose]) => {
        const uri = config.serverMetadata().jwks_uri;
        if (!uri) throw new Error('the provider publishes no jwks_uri');
        return jose.createRemoteJWKSet(new URL(uri), { timeoutDuration: 10_000 });
      })
      .catch((error: unknown) => {
        keys = null;
        throw error;
      });
    return keys;
  }

  return {
    name: issuerUrl.host,
    async verifyIdToken(idToken, audience, maxAgeSeconds): Promise<VerifiedIdToken> {
      try {
        const config = await configuration();
        const { jwtVerify } = await import('jose');
        const advertised = config.serverMetadata().id_token_signing_alg_values_supported ?? ['RS256'];
        const { payload } = await jwtVerify(idToken, await jwks(), {
          issuer: config.serverMetadata().issuer,
          audience,
          // Asymmetric only: an HMAC "signed" with a public value, or `none`, proves nothing.
          algorithms: advertised.filter((alg) => alg !== 'none' && !alg.startsWith('HS')),
          maxTokenAge: maxAgeSeconds,
          requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
          clockTolerance: 60,
        });
        return {
          issuer: payload.iss!,
          subject: payload.sub!,
          issuedAt: new Date(payload.iat! * 1000),
          tokenId: typeof payload.jti === 'string' ? payload.jti : null,
        };
      } catch (error) {
        const reason = idTokenReason(error);
        logger.warn({ chain: logged(error) }, 'ID token for a personal token refused');
        throw new AppError('sign_in_failed', 'ID token refused', { reason });
      }
    },
    issuer: async () => (await configuration()).serverMetadata().issuer,
    async authorizationUrl(checks, fresh, loginHint) {
      const config = await configuration();
      const client = await openid();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri(),
        scope: settings.scopes,
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
        // Step-up: authenticate again now. prompt=login and max_age=0 say the same thing; providers honour
        // one or the other, and max_age obliges them to return auth_time (OIDC Core 3.1.2.1), which the
        // identity service checks against when this sign-in started.
        ...(fresh ? { prompt: 'login', max_age: '0' } : {}),
        // OIDC Core 3.1.2.1: who is expected to sign in, so the provider can fill in (or pick) the account.
        // Only a hint: providers that ignore it ask as usual, and the ID token is what the bot trusts.
        ...(loginHint ? { login_hint: loginHint } : {}),
      });
      return url.href;
    },
    async exchange(callbackUrl, checks): Promise<SignInClaims> {
      try {
        const config = await configuration();
        const client = await openid();
        // The callback as the provider addressed it (behind a proxy the server sees another host).
        const current = new URL(settings.redirectUri());
        current.search = callbackUrl.search;
        const tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new Error('no ID token');
        // Thin ID tokens (Okta's; OIDC Core 5.4 lets the code flow put scope claims in UserInfo only): ask
        // UserInfo. fetchUserInfo refuses an answer whose `sub` is not the ID token's.
        const fromIdToken = {
          email: typeof claims.email === 'string' ? claims.email : null,
          verified: claims.email_verified === true,
        };
        const thin = typeof claims.email !== 'string' || typeof claims.email_verified !== 'boolean';
        const email =
          thin && config.serverMetadata().userinfo_endpoint
            ? await userInfoEmail(config, tokens.access_token, claims.sub)
            : fromIdToken;
        const amr = Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [];
        return {
          issuer: claims.iss,
          subject: claims.sub,
          email: email.email?.toLowerCase() ?? null,
          emailVerified: email.verified,
          authTime: typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : null,
          amr,
          acr: typeof claims.acr === 'string' ? claims.acr : null,
        };
      } catch (error) {
        const reason = reasonOf(error);
        logger.warn({ chain: logged(error) }, 'OIDC sign-in refused');
        throw new AppError('sign_in_failed', 'OIDC sign-in refused', { reason });
      }
    },
  };
}
