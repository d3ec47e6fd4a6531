import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from '../../doubles/github/github-double.js';
import { createGitHubProvisioner } from '../../src/provisioners/github/github-provisioner.js';
import { loginFromProfile } from '../../src/provisioners/github/github-identity.js';
import { PermanentProvisioningError, type GrantContext } from '../../src/provisioners/port.js';
import type { RepositoryPermission } from '../../src/domain/policy.js';

/** The github provisioner against the GitHub double, through the real Octokit and GitHub App auth over HTTP. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('github provisioner', () => {
  let gh: GitHubDouble;
  const provisioner = createGitHubProvisioner();
  const profile: Record<string, string> = { U123: 'https://github.com/Rita-Dev', U456: '@rex' };

  const app = () => ({
    base_url: gh.url,
    app_id: gh.appId,
    installation_id: gh.installationId,
    private_key: gh.privateKeyPem!,
  });
  function repoContext(
    permission: RepositoryPermission,
    over: Partial<GrantContext> = {},
    settings = {},
  ): GrantContext {
    return {
      grantId: 'g-1',
      requestId: 'r-42',
      requesterId: 'U123',
      requesterEmail: 'rita@example.com',
      sshPublicKey: null,
      requesterProfileField: async (field) =>
        field === 'GitHub' ? (profile[over.requesterId ?? 'U123'] ?? null) : null,
      requesterIdentity: async () => null,
      resource: { name: 'payments-repo', type: 'repository' },
      settings: {
        ...app(),
        repository: 'acme/payments',
        permissions: ['read', 'triage', 'write'],
        slack_profile_field: 'GitHub',
        ...settings,
      },
      grant: { type: 'repository', resource: 'payments-repo', permission },
      startsAt: new Date('2030-01-01T11:00:00.000Z'),
      expiresAt: new Date('2030-01-01T12:00:00.000Z'),
      ...over,
    };
  }
  const teamContext = (over: Partial<GrantContext> = {}): GrantContext => ({
    ...repoContext('read', over),
    resource: { name: 'gh-oncall', type: 'group' },
    settings: { ...app(), org: 'acme', team: 'oncall', slack_profile_field: 'GitHub' },
    grant: { type: 'group', resource: 'gh-oncall' },
  });

  beforeEach(async () => {
    gh = await startGitHubDouble({ org: 'acme', maxPerPage: 2 });
    gh.org.addRepo('payments');
    gh.org.addTeam('On-call', 'oncall');
    gh.org.addMember('Rita-Dev');
    gh.org.addUser('rex'); // outside the organization
    // Others on the repository, so that finding Rita takes several pages.
    for (const login of ['ann', 'bob', 'cat', 'dan']) {
      gh.org.addMember(login);
      gh.org.repos.get('payments')!.collaborators.set(login, 'write');
    }
  });
  afterEach(async () => gh.stop());

  it('validates settings: https only except loopback, the key a secret reference, one target, known permissions', () => {
    const base = {
      app_id: 1,
      installation_id: 2,
      private_key: 'env:ACCESS_SECRET_GH_KEY',
      slack_profile_field: 'GitHub',
    };
    expect(
      provisioner.validateSettings({ ...base, repository: 'acme/payments', permissions: ['read', 'write'] }),
    ).toBeNull();
    expect(provisioner.validateSettings({ ...base, org: 'acme', team: 'oncall' })).toBeNull();
    expect(
      provisioner.validateSettings({ ...base, repository: 'acme/x', base_url: 'http://github.internal/api/v3' }),
    ).toContain('https');
    expect(
      provisioner.validateSettings({ ...base, repository: 'acme/x', base_url: 'http://127.0.0.1:8080' }),
    ).toBeNull();
    expect(provisioner.validateSettings({ ...base, repository: 'acme/x', private_key: '-----BEGIN RSA' })).toContain(
      'secret reference',
    );
    expect(provisioner.validateSettings({ ...base, repository: 'acme/x', org: 'acme', team: 't' })).toContain(
      'either team',
    );
    expect(provisioner.validateSettings({ ...base, repository: 'acme/x', permissions: ['read', 'owner'] })).toContain(
      'not owner',
    );
    expect(provisioner.validateSettings({ ...base, repository: 'acme/x', login_from: 'email' })).toContain(
      'login_from',
    );
    expect(provisioner.roleChoices!({ repository: 'acme/x', permissions: ['write', 'read'] })).toEqual([
      'read',
      'write',
    ]);
    expect(provisioner.roleChoices!({ org: 'acme', team: 't' })).toEqual([]);
    expect(loginFromProfile(' @octocat ')).toBe('octocat');
    expect(loginFromProfile('not a login')).toBeNull();
  });

  it('an org member gets exactly the approved permission, and removal takes it away', async () => {
    const ctx = repoContext('triage');
    const result = await provisioner.provision(ctx);
    expect(gh.collaborators('payments')['Rita-Dev']).toBe('triage');
    expect(result.state).toEqual({
      kind: 'repository',
      repository: 'acme/payments',
      login: 'Rita-Dev',
      permission: 'triage',
      invitationId: null,
    });
    expect(result.instructions).toContain('triage permission on acme/payments as Rita-Dev');
    expect(gh.tokensIssued()).toBe(1);
    expect(gh.requests.filter((r) => r.auth === 'jwt').every((r) => r.path.endsWith('/access_tokens'))).toBe(true);
    // Paged: four others, two a page, so both pages are read before Rita is known to hold nothing yet.
    expect(gh.requests.filter((r) => r.path.includes('/collaborators?') && r.path.includes('page=2'))).toHaveLength(1);
    expect(await provisioner.isPresent!(ctx, result.state)).toBe(true);
    await provisioner.deprovision(ctx, result.state);
    expect(gh.collaborators('payments')['Rita-Dev']).toBeUndefined();
    expect(gh.collaborators('payments').ann).toBe('write');
    expect(await provisioner.isPresent!(ctx, result.state)).toBe(false);
    await provisioner.deprovision(ctx, result.state); // gone already: done
  });

  it('someone outside the organization is invited; the invitation is withdrawn at the end if never accepted', async () => {
    const ctx = repoContext('write', { requesterId: 'U456' });
    const result = await provisioner.provision(ctx);
    expect(gh.invitations('payments')).toEqual([{ id: result.state.invitationId, login: 'rex', role: 'write' }]);
    expect(result.instructions).toContain('GitHub invited rex to acme/payments with write permission');
    expect(await provisioner.isPresent!(ctx, result.state)).toBe(true);
    await provisioner.provision(ctx); // a retry after a crash: still one invitation
    expect(gh.invitations('payments')).toHaveLength(1);
    await provisioner.deprovision(ctx, result.state);
    expect(gh.invitations('payments')).toEqual([]);
    expect(gh.collaborators('payments').rex).toBeUndefined();
  });

  it('an accepted invitation is removed like any collaborator', async () => {
    const ctx = repoContext('read', { requesterId: 'U456' });
    const result = await provisioner.provision(ctx);
    gh.org.accept(gh.org.repos.get('payments')!, 'rex');
    expect(gh.collaborators('payments').rex).toBe('read');
    await provisioner.deprovision(ctx, result.state);
    expect(gh.collaborators('payments').rex).toBeUndefined();
  });

  it('never lowers a higher permission, and a removal keeps what another live grant relies on', async () => {
    const write = repoContext('write', { grantId: 'g-write' });
    const read = repoContext('read', { grantId: 'g-read' });
    const w = await provisioner.provision(write);
    const r = await provisioner.provision(read);
    expect(gh.collaborators('payments')['Rita-Dev']).toBe('write');
    // The write grant ends while the read grant lasts: lowered to read, not removed.
    await provisioner.deprovision(write, w.state, new Set(provisioner.sharedAccessKeys!(read)));
    expect(gh.collaborators('payments')['Rita-Dev']).toBe('read');
    await provisioner.deprovision(read, r.state);
    expect(gh.collaborators('payments')['Rita-Dev']).toBeUndefined();
  });

  it('a lost state (crash before it was recorded) still removes the access, found again from the profile', async () => {
    const ctx = repoContext('read', { requesterId: 'U456' });
    await provisioner.provision(ctx);
    await provisioner.deprovision(ctx, {});
    expect(gh.invitations('payments')).toEqual([]);
  });

  it('team: adds an org member, leaves a maintainer as they are, removes at the end; refuses non-members', async () => {
    const ctx = teamContext();
    const result = await provisioner.provision(ctx);
    expect(gh.teamMembers('oncall')).toEqual([{ login: 'Rita-Dev', role: 'member', state: 'active' }]);
    expect(result.instructions).toContain('member of the GitHub team acme/oncall as Rita-Dev');
    expect(await provisioner.isPresent!(ctx, result.state)).toBe(true);
    await provisioner.deprovision(ctx, result.state);
    expect(gh.teamMembers('oncall')).toEqual([]);
    expect(await provisioner.isPresent!(ctx, result.state)).toBe(false);

    gh.org.teams.get('oncall')!.members.set('rita-dev', { role: 'maintainer', state: 'active' });
    await provisioner.provision(ctx);
    expect(gh.teamMembers('oncall')).toEqual([{ login: 'Rita-Dev', role: 'maintainer', state: 'active' }]);

    const outsider = await rejection(provisioner.provision(teamContext({ requesterId: 'U456' })));
    expect(outsider).toBeInstanceOf(PermanentProvisioningError);
    expect(outsider.message).toContain('rex is not a member of the GitHub organization acme');
    expect(gh.teamMembers('oncall')).toHaveLength(1);
  });

  it('people: no login in the profile, a login GitHub lacks, or the SAML identity of the linked company account', async () => {
    const empty = await rejection(provisioner.provision(repoContext('read', { requesterId: 'U999' })));
    expect(empty.message).toContain('no GitHub login in their Slack profile field “GitHub”');
    profile.U999 = 'ghost-user';
    const ghost = await rejection(provisioner.provision(repoContext('read', { requesterId: 'U999' })));
    expect(ghost).toBeInstanceOf(PermanentProvisioningError);
    expect(ghost.message).toContain('GitHub has no user ghost-user (from the Slack profile field “GitHub”)');
    delete profile.U999;

    const linked = (email: string | null) =>
      repoContext(
        'read',
        { requesterIdentity: async () => (email ? { issuer: 'https://idp', subject: 's-1', email } : null) },
        {
          login_from: 'linked_identity',
          slack_profile_field: undefined,
        },
      );
    expect((await rejection(provisioner.provision(linked(null)))).message).toContain('has not linked');
    expect((await rejection(provisioner.provision(linked('rita@example.com')))).message).toContain(
      'no SAML single sign-on',
    );
    gh.org.samlEnabled = true;
    expect((await rejection(provisioner.provision(linked('rita@example.com')))).message).toContain(
      'No GitHub account in acme is linked by SAML single sign-on to rita@example.com',
    );
    gh.org.samlIdentities.set('rita@example.com', 'Rita-Dev');
    const result = await provisioner.provision(linked('rita@example.com'));
    expect(result.state).toMatchObject({ login: 'Rita-Dev', permission: 'read' });
  });

  it('GitHub failures: a wrong key, a missing permission, a secondary rate limit with its wait, an outage', async () => {
    const other = await startGitHubDouble({ org: 'acme' });
    try {
      const wrongKey = await rejection(
        provisioner.provision(repoContext('read', {}, { private_key: other.privateKeyPem! })),
      );
      expect(wrongKey).toBeInstanceOf(PermanentProvisioningError);
      expect(wrongKey.message).toContain("refused the GitHub App's signed token");
      expect(wrongKey.message).not.toContain('PRIVATE KEY');
    } finally {
      await other.stop();
    }
    const missing = await rejection(provisioner.provision(repoContext('read', {}, { repository: 'acme/nope' })));
    expect(missing.message).toContain('GitHub repository acme/nope does not exist');

    gh.secondaryRateLimit(42, 1);
    const limited = (await rejection(provisioner.provision(repoContext('read')))) as Error & { retryAfter?: number };
    expect(limited).not.toBeInstanceOf(PermanentProvisioningError);
    expect(limited.message).toContain('secondary rate limit');
    expect(limited.retryAfter).toBe(42);

    gh.exhaustRateLimit(300);
    const used = (await rejection(provisioner.provision(repoContext('read')))) as Error & { retryAfter?: number };
    expect(used.retryAfter).toBeGreaterThan(290);
    gh.exhaustRateLimit(0);

    gh.failNext(1, 502);
    expect(await rejection(provisioner.provision(repoContext('read')))).not.toBeInstanceOf(PermanentProvisioningError);
    await provisioner.provision(repoContext('read'));
    expect(gh.collaborators('payments')['Rita-Dev']).toBe('read');
  });

  it('a narrow installation (no repository administration) fails for good, naming the permission', async () => {
    const narrow = await startGitHubDouble({ org: 'acme', permissions: { administration: 'read' } });
    try {
      narrow.org.addRepo('payments');
      narrow.org.addMember('Rita-Dev');
      const ctx = repoContext(
        'read',
        {},
        {
          base_url: narrow.url,
          app_id: narrow.appId,
          installation_id: narrow.installationId,
          private_key: narrow.privateKeyPem!,
        },
      );
      const error = await rejection(provisioner.provision(ctx));
      expect(error).toBeInstanceOf(PermanentProvisioningError);
      expect(error.message).toContain('Resource not accessible by integration');
      expect(error.message).toContain('Administration (read and write)');
    } finally {
      await narrow.stop();
    }
  });

  it('GitHub Enterprise Server: the API under /api/v3, GraphQL at /api/graphql', async () => {
    const ghes = await startGitHubDouble({ org: 'acme', enterprise: true });
    try {
      ghes.org.addRepo('payments');
      ghes.org.addMember('Rita-Dev');
      expect(ghes.url).toMatch(/\/api\/v3$/);
      const ctx = repoContext(
        'write',
        {},
        {
          base_url: ghes.url,
          app_id: ghes.appId,
          installation_id: ghes.installationId,
          private_key: ghes.privateKeyPem!,
        },
      );
      const result = await provisioner.provision(ctx);
      expect(ghes.collaborators('payments')['Rita-Dev']).toBe('write');
      expect(result.instructions).toContain(new URL(ghes.url).origin);
    } finally {
      await ghes.stop();
    }
  });
});
