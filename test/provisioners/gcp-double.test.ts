import { sign } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGcpProvisioner } from '../../src/provisioners/gcp/gcp-provisioner.js';
import type { GrantContext } from '../../src/provisioners/port.js';
import { startGcpDouble, type GcpDouble } from '../../doubles/gcp/gcp-double.js';
import { makeServiceAccount, type TestServiceAccount } from '../support/gcp-key.js';

/** The Google double's own checks, spoken to over HTTP as Google would be: the token endpoint and IAM policies. */
const PROJECT = 'projects/payments-prod';
const MEMBER = 'user:ada@example.com';
let sa: TestServiceAccount;
let double: GcpDouble;

beforeAll(() => {
  sa = makeServiceAccount();
});
afterAll(() => sa.remove());
beforeEach(async () => {
  double = await startGcpDouble({
    serviceAccounts: [sa],
    projects: ['payments-prod'],
    knownUsers: ['ada@example.com'],
  });
  vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', sa.writeKeyFile(`${double.url}/token`));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await double.stop();
});

/** A grant the provisioner writes, so the policy has conditional bindings to read back. */
const grant = (): GrantContext => ({
  grantId: 'grt_aaaaaaaaaa',
  requestId: 'req_1111111111',
  requesterId: 'U123',
  requesterEmail: 'ada@example.com',
  sshPublicKey: null,
  resource: { name: 'gcp-payments', type: 'cloud' },
  settings: { project: 'payments-prod', roles: ['roles/logging.viewer', 'roles/compute.viewer'], api_url: double.url },
  grant: { type: 'cloud', resource: 'gcp-payments', roles: ['roles/logging.viewer', 'roles/compute.viewer'] },
  startsAt: new Date('2030-01-01T11:00:00.000Z'),
  expiresAt: new Date('2030-01-01T12:00:00.000Z'),
});

/** A hand-made assertion, to see the token endpoint check what Google checks. */
function assertion(claims: Record<string, unknown>, key = sa.privateKeyPem): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

describe('the Google double answers as Google does', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const good = () => ({
    iss: sa.email,
    scope: 'https://www.googleapis.com/auth/cloud-platform',
    aud: 'https://oauth2.googleapis.com/token',
    iat: now(),
    exp: now() + 3600,
  });
  const token = async (claims: Record<string, unknown>, grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer') => {
    const res = await fetch(`${double.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: grantType, assertion: assertion(claims) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const iam = async (method: string, body: unknown, bearer?: string) => {
    const res = await fetch(`${double.url}/v3/${PROJECT}:${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('the token endpoint checks grant type, audience and lifetime', async () => {
    expect((await token(good(), 'client_credentials')).body.error).toBe('unsupported_grant_type');
    expect((await token({ ...good(), aud: 'https://elsewhere.example/token' })).body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid JWT: Failed audience check.',
    });
    expect((await token({ ...good(), exp: now() + 7200 })).body.error_description).toContain(
      'Token must be a short-lived token (60 minutes)',
    );
    expect((await token({ ...good(), iat: now() - 7200, exp: now() - 3600 })).status).toBe(400);
    expect((await token({ ...good(), iss: 'stranger@x.iam.gserviceaccount.com' })).body.error_description).toBe(
      'Invalid grant: account not found',
    );
    const ok = await token(good());
    expect(ok).toMatchObject({
      status: 200,
      body: { token_type: 'Bearer', expires_in: 3599, access_token: expect.stringMatching(/^ya29\./) },
    });
  });

  it('checks bearer tokens and scopes, with Google’s error shape', async () => {
    expect(await iam('getIamPolicy', {})).toEqual({
      status: 401,
      body: {
        error: {
          code: 401,
          message: expect.stringContaining('missing required authentication credential'),
          status: 'UNAUTHENTICATED',
        },
      },
    });
    expect((await iam('getIamPolicy', {}, 'ya29.made-up')).body.error.status).toBe('UNAUTHENTICATED');
    const narrow = (await token({ ...good(), scope: 'https://www.googleapis.com/auth/devstorage.read_only' })).body
      .access_token as string;
    expect((await iam('getIamPolicy', {}, narrow)).body.error).toEqual({
      code: 403,
      message: 'Request had insufficient authentication scopes.',
      status: 'PERMISSION_DENIED',
    });
  });

  it('versions, conditions and etags as IAM enforces them', async () => {
    const bearer = (await token(good())).body.access_token as string;
    await createGcpProvisioner().provision(grant());
    const v1 = await iam('getIamPolicy', { options: { requestedPolicyVersion: 1 } }, bearer);
    expect(v1.body.version).toBe(1);
    expect(v1.body.bindings.map((b: { role: string }) => b.role)).toEqual([
      'roles/owner',
      expect.stringMatching(/^roles\/logging\.viewer_withcond_[0-9a-f]+$/),
      expect.stringMatching(/^roles\/compute\.viewer_withcond_/),
    ]);
    expect(v1.body.bindings.some((b: { condition?: unknown }) => b.condition)).toBe(false);
    const v3 = await iam('getIamPolicy', { options: { requestedPolicyVersion: 3 } }, bearer);
    expect(v3.body.version).toBe(3);

    const at1 = await iam('setIamPolicy', { policy: { ...v3.body, version: 1 } }, bearer);
    expect(at1).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT' } } });
    const basic = {
      role: 'roles/editor',
      members: [MEMBER],
      condition: { title: 't', expression: 'request.time < timestamp("2030-01-01T00:00:00Z")' },
    };
    expect(
      (await iam('setIamPolicy', { policy: { ...v3.body, bindings: [...v3.body.bindings, basic] } }, bearer)).body.error
        .message,
    ).toContain('basic role roles/editor');

    const written = await iam('setIamPolicy', { policy: v3.body }, bearer);
    expect(written.status).toBe(200);
    expect(written.body.etag).not.toBe(v3.body.etag);
    const stale = await iam('setIamPolicy', { policy: v3.body }, bearer);
    expect(stale).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 409,
          status: 'ABORTED',
          message: expect.stringContaining('There were concurrent policy changes'),
        },
      },
    });
  });
});

describe('the double evaluates conditions', () => {
  it('a window of request.time comparisons holds inside it only; an untimed binding always holds', () => {
    const window = {
      title: 'w',
      expression:
        'request.time >= timestamp("2030-01-01T10:00:00Z") && request.time < timestamp(\'2030-01-01T12:00:00+01:00\')',
    };
    double.editPolicy(PROJECT, (bindings) => [
      ...bindings,
      { role: 'roles/logging.viewer', members: [MEMBER], condition: window },
      { role: 'roles/browser', members: [MEMBER] },
    ]);
    expect(double.hasAccess(MEMBER, 'roles/logging.viewer', new Date('2030-01-01T09:59:59Z'))).toBe(false);
    expect(double.hasAccess(MEMBER, 'roles/logging.viewer', new Date('2030-01-01T10:59:59Z'))).toBe(true);
    expect(double.hasAccess(MEMBER, 'roles/logging.viewer', new Date('2030-01-01T11:00:00Z'))).toBe(false);
    expect(double.hasAccess(MEMBER, 'roles/browser', new Date('2099-01-01T00:00:00Z'))).toBe(true);
    expect(double.hasAccess('user:someone@example.com', 'roles/browser', new Date())).toBe(false);
  });
});
