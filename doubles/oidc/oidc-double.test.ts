import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcDouble, type OidcDouble } from './oidc-double.js';

/** The provider double on the wire, without the bot: what openid-client relies on it to do. */
let idp: OidcDouble;
const REDIRECT = 'http://localhost:9/oidc/callback';

beforeAll(async () => {
  idp = await startOidcDouble({
    clientId: 'bot',
    clientSecret: 's3cret',
    user: { sub: 'u1', email: 'u1@corp.example', amr: ['pwd', 'otp'], acr: 'phr' },
  });
});
afterAll(() => idp.stop());

async function code(verifier: string, extra: Record<string, string> = {}) {
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    client_id: 'bot',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid email',
    state: 'st',
    nonce: 'n1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  const res = await fetch(`${idp.issuer}/authorize?${q}`, { redirect: 'manual' });
  return new URL(res.headers.get('location')!);
}

function token(form: Record<string, string>, auth = `Basic ${Buffer.from('bot:s3cret').toString('base64')}`) {
  return fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
    body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: REDIRECT, ...form }),
  });
}

describe('OIDC provider double', () => {
  it('publishes discovery and a JWKS with one RS256 signing key', async () => {
    const d = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(d).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: `${idp.issuer}/authorize`,
      token_endpoint: `${idp.issuer}/token`,
      code_challenge_methods_supported: ['S256'],
    });
    const jwks = (await (await fetch(d.jwks_uri as string)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d'); // never the private part
  });

  it('issues an ID token signed by its JWKS key, with nonce, auth_time, amr, acr and email_verified', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const back = await code(verifier);
    expect(back.searchParams.get('state')).toBe('st');
    const res = await token({ code: back.searchParams.get('code')!, code_verifier: verifier });
    expect(res.status).toBe(200);
    const { id_token } = (await res.json()) as { id_token: string };
    const { payload } = await jwtVerify(id_token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), {
      issuer: idp.issuer,
      audience: 'bot',
    });
    expect(payload).toMatchObject({
      sub: 'u1',
      nonce: 'n1',
      email: 'u1@corp.example',
      email_verified: true,
      amr: ['pwd', 'otp'],
      acr: 'phr',
    });
    expect(typeof payload.auth_time).toBe('number');
  });

  it('refuses a PKCE verifier that does not match the challenge, a code used twice, and a wrong client secret', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const back = await code(verifier);
    const wrong = await token({
      code: back.searchParams.get('code')!,
      code_verifier: randomBytes(32).toString('base64url'),
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant' });
    const again = await token({ code: back.searchParams.get('code')!, code_verifier: verifier });
    expect(again.status).toBe(400); // the code was spent by the failed attempt

    const other = await code(verifier);
    const badClient = await token(
      { code: other.searchParams.get('code')!, code_verifier: verifier },
      `Basic ${Buffer.from('bot:nope').toString('base64')}`,
    );
    expect(badClient.status).toBe(401);
    expect(badClient.headers.get('www-authenticate')).toContain('Basic');
  });

  it('refuses an authorization request without PKCE, and says login_required when nobody is signed in', async () => {
    const noPkce = new URL(
      (
        await fetch(
          `${idp.issuer}/authorize?${new URLSearchParams({ client_id: 'bot', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's' })}`,
          { redirect: 'manual' },
        )
      ).headers.get('location')!,
    );
    expect(noPkce.searchParams.get('error')).toBe('invalid_request');
    idp.signInAs(null);
    try {
      expect((await code('v'.repeat(43))).searchParams.get('error')).toBe('login_required');
    } finally {
      idp.signInAs({ sub: 'u1', email: 'u1@corp.example' });
    }
  });

  it('signs with a key outside its JWKS when told to (the wrong_key switch)', async () => {
    idp.fault('wrong_key');
    try {
      const verifier = randomBytes(32).toString('base64url');
      const back = await code(verifier);
      const { id_token } = (await (
        await token({ code: back.searchParams.get('code')!, code_verifier: verifier })
      ).json()) as { id_token: string };
      await expect(jwtVerify(id_token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)))).rejects.toThrow();
    } finally {
      idp.fault(null);
    }
  });

  it('with thin ID tokens the e-mail is only in /userinfo, which wants the access token as a bearer', async () => {
    idp.signInAs({ sub: 'u1', email: 'u1@corp.example', emailVerified: true });
    idp.thinIdTokens(true);
    try {
      const verifier = randomBytes(32).toString('base64url');
      const back = await code(verifier);
      const { id_token, access_token } = (await (
        await token({ code: back.searchParams.get('code')!, code_verifier: verifier })
      ).json()) as { id_token: string; access_token: string };
      const { payload } = await jwtVerify(id_token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)));
      expect(payload).not.toHaveProperty('email');
      expect(payload).not.toHaveProperty('email_verified');
      const info = await fetch(`${idp.issuer}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(await info.json()).toEqual({ sub: 'u1', email: 'u1@corp.example', email_verified: true });
      const bare = await fetch(`${idp.issuer}/userinfo`);
      expect(bare.status).toBe(401);
      expect(bare.headers.get('www-authenticate')).toContain('Bearer');
      const wrong = await fetch(`${idp.issuer}/userinfo`, { headers: { authorization: 'Bearer not-a-token' } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
      idp.userInfoFault('wrong_subject');
      const other = await fetch(`${idp.issuer}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(((await other.json()) as { sub: string }).sub).not.toBe('u1');
    } finally {
      idp.thinIdTokens(false);
      idp.userInfoFault(null);
    }
  });

  it('max_age makes an older sign-in happen again (auth_time now), unless told to ignore it', async () => {
    idp.signInAs({ sub: 'u1', email: 'u1@corp.example', authAgeSeconds: 3600 });
    const authTime = async (extra: Record<string, string>) => {
      const verifier = randomBytes(32).toString('base64url');
      const back = await code(verifier, extra);
      const { id_token } = (await (
        await token({ code: back.searchParams.get('code')!, code_verifier: verifier })
      ).json()) as { id_token: string };
      const { payload } = await jwtVerify(id_token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)));
      return Math.floor(Date.now() / 1000) - (payload.auth_time as number);
    };
    try {
      expect(await authTime({})).toBeGreaterThanOrEqual(3600);
      expect(await authTime({ max_age: '0' })).toBeLessThan(60);
      idp.ignoreReauthentication(true);
      expect(await authTime({ max_age: '0', prompt: 'login' })).toBeGreaterThanOrEqual(3600);
    } finally {
      idp.ignoreReauthentication(false);
      idp.signInAs({ sub: 'u1', email: 'u1@corp.example' });
    }
  });

  it('the sign-in form (the sandbox): only registered redirect URIs, whose origin the form may reach; login_hint picks the person', async () => {
    const registered = 'http://localhost:9/oidc/callback';
    const form = await startOidcDouble({
      clientId: 'bot',
      clientSecret: 's3cret',
      redirectUris: () => [registered],
      people: [
        { sub: 'p|rita', email: 'rita@example.com', name: 'Rita' },
        { sub: 'p|alex', email: 'alex@example.com', name: 'Alex' },
      ],
    });
    try {
      const open = (extra: Record<string, string>) =>
        fetch(
          `${form.issuer}/authorize?${new URLSearchParams({ client_id: 'bot', redirect_uri: registered, response_type: 'code', scope: 'openid', code_challenge: 'c', code_challenge_method: 'S256', ...extra })}`,
          { redirect: 'manual' },
        );
      const page = await open({ login_hint: 'Alex@Example.com' });
      expect(page.status).toBe(200);
      // The form posts to /authorize, which redirects to the callback: CSP3 form-action covers that redirect.
      expect(page.headers.get('content-security-policy')).toContain("form-action 'self' http://localhost:9");
      const html = await page.text();
      expect(html).toMatch(/value="p\|alex" checked/);
      expect(html).not.toMatch(/value="p\|rita" checked/);
      // Without a hint (or an unknown one) the first person is picked.
      expect(await (await open({ login_hint: 'nobody@example.com' })).text()).toMatch(/value="p\|rita" checked/);
      // An unregistered redirect URI is refused on the page, never redirected to.
      const other = await open({ redirect_uri: 'http://evil.example/oidc/callback' });
      expect(other.status).toBe(400);
      expect(other.headers.get('location')).toBeNull();
    } finally {
      await form.stop();
    }
  });
});
