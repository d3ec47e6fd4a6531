import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_GRANT_TYPE } from './device-grant.js';
import { startOidcDouble, type OidcDouble } from './oidc-double.js';

/** The double's device authorization grant (RFC 8628) on the wire, and through openid-client as a CLI uses it. */
let idp: OidcDouble;
const PEOPLE = [
  { sub: 'okta|rita', email: 'rita@corp.example', name: 'Rita' },
  { sub: 'okta|dan', email: 'dan@corp.example', name: 'Dan' },
];

beforeAll(async () => {
  idp = await startOidcDouble({
    clientId: 'bot',
    clientSecret: 's3cret',
    people: PEOPLE,
    deviceClients: ['cli'],
    deviceInterval: 1,
  });
});
afterAll(() => idp.stop());

const post = (path: string, form: Record<string, string>) =>
  fetch(`${idp.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });

async function start(clientId = 'cli') {
  const res = await post('/device_authorization', { client_id: clientId, scope: 'openid email' });
  return { status: res.status, body: (await res.json()) as Record<string, string | number> };
}

const poll = async (deviceCode: string, clientId = 'cli') => {
  const res = await post('/token', { grant_type: DEVICE_GRANT_TYPE, device_code: deviceCode, client_id: clientId });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};

/** What a person does in a browser: open verification_uri_complete, pick who they are, press a button. */
async function decide(userCode: string, decision: 'approve' | 'deny', who = 'okta|rita') {
  const page = await fetch(`${idp.issuer}/device?user_code=${encodeURIComponent(userCode)}`);
  const html = await page.text();
  expect(html).toContain(userCode);
  const done = await post('/device', { user_code: userCode, who, decision, mfa: 'on' });
  return { page: html, done: await done.text(), status: done.status };
}

describe('the device authorization grant of the OIDC double', () => {
  it('is advertised in discovery', async () => {
    const d = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(d).toMatchObject({
      device_authorization_endpoint: `${idp.issuer}/device_authorization`,
      grant_types_supported: expect.arrayContaining([DEVICE_GRANT_TYPE]),
    });
  });

  it('answers authorization_pending, then slow_down when polled faster than the interval', async () => {
    const { status, body } = await start();
    expect(status).toBe(200);
    expect(body).toMatchObject({ verification_uri: `${idp.issuer}/device`, expires_in: 600, interval: 1 });
    expect(body.user_code).toMatch(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
    expect(body.verification_uri_complete).toBe(`${idp.issuer}/device?user_code=${body.user_code}`);
    expect(await poll(body.device_code as string)).toEqual({ status: 400, body: { error: 'authorization_pending' } });
    expect(await poll(body.device_code as string)).toEqual({ status: 400, body: { error: 'slow_down' } });
  });

  it('a person approves on the page: one poll gets an ID token for the CLI client, the next finds the code gone', async () => {
    const { body } = await start();
    const seen = await decide(body.user_code as string, 'approve', 'okta|dan');
    expect(seen.page).toContain('Dan &lt;dan@corp.example&gt;');
    expect(seen.done).toContain('You are signed in on your device');
    const answer = await poll(body.device_code as string);
    expect(answer.status).toBe(200);
    const { payload } = await jwtVerify(answer.body.id_token!, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), {
      issuer: idp.issuer,
      audience: 'cli',
    });
    expect(payload).toMatchObject({
      sub: 'okta|dan',
      email: 'dan@corp.example',
      email_verified: true,
      amr: ['pwd', 'otp'],
    });
    expect(payload).not.toHaveProperty('nonce');
    expect(await poll(body.device_code as string)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    // A decided code cannot be decided again.
    const again = await post('/device', { user_code: body.user_code as string, who: 'okta|rita', decision: 'approve' });
    expect(again.status).toBe(400);
  });

  it('a denial is access_denied; a code of another client or an unknown client is refused', async () => {
    const { body } = await start();
    await decide(body.user_code as string, 'deny');
    expect(await poll(body.device_code as string)).toEqual({ status: 400, body: { error: 'access_denied' } });
    const other = await start();
    expect((await poll(other.body.device_code as string, 'bot')).status).toBe(401); // the confidential client, without its secret
    expect((await start('stranger')).status).toBe(401);
  });

  it('an expired code is expired_token, and the page says the code is not valid', async () => {
    const quick = await startOidcDouble({
      clientId: 'bot',
      people: PEOPLE,
      deviceClients: ['cli'],
      deviceExpiresIn: 0,
    });
    try {
      const res = await fetch(`${quick.issuer}/device_authorization`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: 'cli', scope: 'openid' }),
      });
      const body = (await res.json()) as Record<string, string>;
      const page = await fetch(`${quick.issuer}/device?user_code=${body.user_code}`);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('That code is not valid, was used already, or has expired.');
      const polled = await fetch(`${quick.issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: DEVICE_GRANT_TYPE, device_code: body.device_code!, client_id: 'cli' }),
      });
      expect(await polled.json()).toEqual({ error: 'expired_token' });
    } finally {
      await quick.stop();
    }
  });

  it('openid-client runs the whole grant against it as a public client', async () => {
    const config = await client.discovery(
      new URL(idp.issuer),
      'cli',
      { token_endpoint_auth_method: 'none' },
      client.None(),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid email' });
    const polling = client.pollDeviceAuthorizationGrant(config, started);
    await decide(started.user_code, 'approve');
    const tokens = await polling;
    expect(tokens.claims()).toMatchObject({ iss: idp.issuer, aud: 'cli', sub: 'okta|rita' });
  });
});
