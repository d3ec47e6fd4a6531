import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubernetesProvisioner } from '../../src/provisioners/kubernetes/kubernetes-provisioner.js';
import { PermanentProvisioningError, type GrantContext } from '../../src/provisioners/port.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';

const TOKEN = 'sa-token-0123456789';
const EXPIRES = new Date('2030-01-01T12:00:00.000Z');

function context(fake: FakeKubernetes, overrides: Partial<GrantContext> = {}): GrantContext {
  return {
    grantId: 'g-1',
    requestId: 'r-42',
    requesterId: 'U123',
    requesterEmail: 'ada@example.com',
    sshPublicKey: null,
    resource: { name: 'prod-k8s', type: 'kubernetes' },
    settings: { api_url: fake.url, token: TOKEN },
    grant: { type: 'kubernetes', resource: 'prod-k8s', role: 'edit', namespaces: ['dev', 'staging'] },
    startsAt: new Date('2030-01-01T11:00:00.000Z'),
    expiresAt: EXPIRES,
    ...overrides,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('kubernetes provisioner', () => {
  let fake: FakeKubernetes;
  const k8s = createKubernetesProvisioner();
  beforeEach(async () => {
    fake = await startFakeKubernetes({ token: TOKEN, namespaces: ['dev', 'staging', 'prod'] });
  });
  afterEach(async () => fake.close());

  it('creates exactly the expected RoleBinding in each tuned namespace', async () => {
    const result = await k8s.provision(context(fake));
    for (const ns of ['dev', 'staging']) {
      const [binding, ...others] = fake.bindings(ns);
      expect(others).toEqual([]);
      expect(binding).toMatchObject({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: {
          name: 'jit-r-42',
          namespace: ns,
          labels: { 'access-requests/request': 'r-42', 'access-requests/grant': 'g-1' },
          annotations: { 'access-requests/expires-at': EXPIRES.toISOString() },
        },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'ada@example.com' }],
      });
    }
    expect(fake.bindings('prod')).toEqual([]);
    expect(result.state).toEqual({ namespaces: ['dev', 'staging'], name: 'jit-r-42', subject: 'ada@example.com' });
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(await k8s.isPresent!(context(fake), result.state)).toBe(true);
  });

  it('names the Slack user with a prefix when subject is slack', async () => {
    const ctx = context(fake, {
      requesterEmail: null,
      settings: { api_url: fake.url, token: TOKEN, subject: 'slack', subject_prefix: 'oidc:' },
    });
    await k8s.provision(ctx);
    expect(fake.bindings('dev')[0]?.subjects).toEqual([
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'oidc:slack:U123' },
    ]);
  });

  it('refuses when no subject can be named', async () => {
    const err = await rejection(k8s.provision(context(fake, { requesterEmail: null })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(fake.requests).toEqual([]);
  });

  it('is idempotent, and brings a differing binding in line', async () => {
    await k8s.provision(context(fake));
    const first = fake.bindings('dev')[0];
    await k8s.provision(context(fake));
    expect(fake.bindings('dev')).toEqual([first]);
    expect(fake.bindings('staging')).toHaveLength(1);

    // A retry carrying a later expiry updates the binding in place (PUT with its resourceVersion).
    const later = new Date('2030-01-01T13:00:00.000Z');
    await k8s.provision(context(fake, { expiresAt: later }));
    expect(fake.bindings('dev')[0]?.metadata).toMatchObject({
      uid: first?.metadata.uid,
      annotations: { 'access-requests/expires-at': later.toISOString() },
    });
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);

    // A retry after a changed decision: the role differs, and roleRef is immutable.
    await k8s.provision(
      context(fake, { grant: { type: 'kubernetes', resource: 'prod-k8s', role: 'view', namespaces: ['dev'] } }),
    );
    expect(fake.bindings('dev').map((b) => b.roleRef.name)).toEqual(['view']);
  });

  it('extends by moving the expiry annotation', async () => {
    const { state } = await k8s.provision(context(fake));
    const later = new Date('2030-01-01T14:00:00.000Z');
    await k8s.extend!(context(fake, { expiresAt: later }), state);
    for (const ns of ['dev', 'staging'])
      expect(fake.bindings(ns)[0]?.metadata.annotations?.['access-requests/expires-at']).toBe(later.toISOString());
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('deprovisions, and a second deprovision succeeds', async () => {
    const { state } = await k8s.provision(context(fake));
    await k8s.deprovision(context(fake), state);
    expect(fake.bindings('dev')).toEqual([]);
    expect(fake.bindings('staging')).toEqual([]);
    await k8s.deprovision(context(fake), state);
    expect(await k8s.isPresent!(context(fake), state)).toBe(false);
  });

  it('reports an unknown namespace as permanent', async () => {
    const ctx = context(fake, {
      grant: { type: 'kubernetes', resource: 'prod-k8s', role: 'view', namespaces: ['nope'] },
    });
    const err = await rejection(k8s.provision(ctx));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('namespace nope does not exist');
  });

  it('reports a bad token as permanent without echoing it', async () => {
    const err = await rejection(
      k8s.provision(context(fake, { settings: { api_url: fake.url, token: 'wrong-token' } })),
    );
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('401');
    expect(err.message).not.toContain('wrong-token');
  });

  it('reports missing RBAC rights (403) as permanent', async () => {
    fake.failNext(1, 403);
    const err = await rejection(k8s.provision(context(fake)));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('403');
  });

  it('leaves a 503 and an unreachable server to the caller to retry', async () => {
    fake.failNext(1, 503);
    const err = await rejection(k8s.provision(context(fake)));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('503');
    await k8s.provision(context(fake)); // the retry converges
    expect(fake.bindings('dev')).toHaveLength(1);

    const url = fake.url;
    await fake.close();
    const down = await rejection(k8s.provision(context(fake, { settings: { api_url: url, token: TOKEN } })));
    expect(down).not.toBeInstanceOf(PermanentProvisioningError);
    expect(down.message).not.toContain(TOKEN);
    fake = await startFakeKubernetes({ token: TOKEN, namespaces: [] }); // for afterEach
  });

  it('validates settings: token and ca_cert must be references', () => {
    const ok = { api_url: 'https://k8s.example.com:6443', token: 'env:ACCESS_SECRET_K8S_TOKEN' };
    expect(k8s.validateSettings(ok)).toBeNull();
    expect(
      k8s.validateSettings({ ...ok, ca_cert: 'file:/etc/k8s/ca.pem', subject: 'slack', subject_prefix: 'oidc:' }),
    ).toBeNull();
    expect(k8s.validateSettings({ ...ok, token: 'eyJhbGciOi-literal' })).toMatch(/secret reference/);
    expect(k8s.validateSettings({ ...ok, api_url: 'ftp://k8s' })).toMatch(/api_url/);
    expect(k8s.validateSettings({ ...ok, ca_cert: '-----BEGIN CERTIFICATE-----' })).toMatch(/ca_cert/);
    expect(k8s.validateSettings({ ...ok, subject: 'name' })).toMatch(/subject/);
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasOpenssl())('kubernetes provisioner over TLS with a private CA', () => {
  it('trusts ca_cert and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-k8s-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=fake-k8s',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const tls = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
    const fake = await startFakeKubernetes({ token: TOKEN, namespaces: ['dev', 'staging'], tls });
    try {
      const k8s = createKubernetesProvisioner();
      const untrusted = await rejection(k8s.provision(context(fake)));
      expect(untrusted).not.toBeInstanceOf(PermanentProvisioningError);
      await k8s.provision(context(fake, { settings: { api_url: fake.url, token: TOKEN, ca_cert: tls.cert } }));
      expect(fake.bindings('dev')).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
