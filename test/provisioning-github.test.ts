import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/github-double.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  requestAccess,
  retryNow,
  revoke,
  statusOf,
  targetOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * GitHub end to end: a `repository` resource and a team (`group`) with the github provisioner, requested
 * and approved in Slack (the Slack double), made real in the GitHub double through Octokit as a GitHub App.
 * People are mapped by the GitHub login in their Slack profile field "GitHub".
 */
const FIELD = 'Xf0GITHUB01';
/** Someone outside the GitHub organization: a repository grant invites them. */
const OUTSIDER = 'U0OUTSIDE';
/** Reconcile's person. */
const REX = 'U0REX';
let gh: GitHubDouble;
let h: Harness;

beforeAll(async () => {
  gh = await startGitHubDouble({ org: 'acme', maxPerPage: 2 });
  gh.org.addRepo('payments');
  gh.org.addTeam('On-call', 'oncall');
  for (const login of ['rita-dev', 'rex-dev', 'ann', 'bob', 'cat']) gh.org.addMember(login);
  for (const login of ['ann', 'bob', 'cat']) gh.org.repos.get('payments')!.collaborators.set(login, 'admin');
  gh.org.addUser('olga-oss');
  const app = `base_url: "${gh.url}", app_id: ${gh.appId}, installation_id: ${gh.installationId}, private_key: "env:ACCESS_SECRET_GITHUB_APP_KEY", slack_profile_field: GitHub`;
  const accessFile = `
resources:
  - name: gh-payments
    type: repository
    tags: [github]
    description: The payments service repository
    defaults: { roles: [write] }
    provisioner: { type: github, ${app}, repository: acme/payments, permissions: [read, triage, write] }
  - name: gh-oncall
    type: group
    tags: [github]
    description: The On-call team on GitHub
    provisioner: { type: github, ${app}, org: acme, team: oncall }
flows:
  - name: github
    resources: { tags: [github] }
    requesters: { users: [${PEOPLE.requester}, ${PEOPLE.other}, ${OUTSIDER}, ${REX}] }
    approvers: { users: [${PEOPLE.approver}] }
    max_duration: 8h
`;
  h = await startHarness({ accessFile, app: { secretEnv: { ACCESS_SECRET_GITHUB_APP_KEY: gh.privateKeyPem! } } });
  h.slack.addProfileField({ id: FIELD, label: 'GitHub' });
  h.slack.updateUser(PEOPLE.requester, { fields: { [FIELD]: '@rita-dev' } });
  h.slack.addUser({ id: OUTSIDER, name: 'olga', realName: 'Olga Outside', fields: { [FIELD]: 'olga-oss' } });
  h.slack.addUser({
    id: REX,
    name: 'rex',
    realName: 'Rex Reconcile',
    fields: { [FIELD]: 'https://github.com/rex-dev' },
  });
});
afterAll(async () => {
  await h?.stop();
  await gh?.stop();
});

const ask = async (who: string, resource: string, justification: string) =>
  (await requestAccess(h, who, { resources: [resource], duration: '60', justification }))[0]!;
const permissionOf = (login: string) => gh.collaborators('payments')[login];
const actionsOf = async (id: string) =>
  (await h.sql`select action from audit_events where request_id = ${id} order by id`).map((r) => r.action as string);
const readyDm = (who: string, id: string) =>
  h.slack.dmsTo(who).find((m) => allText(m.blocks).includes('is ready') && allText(m.blocks).includes(id));

describe('a GitHub repository through Slack', () => {
  let id: string;

  it('the tuning modal offers only the permissions the repository allows; narrowed to triage, that is what GitHub holds', async () => {
    id = await ask(PEOPLE.requester, 'gh-payments', 'INC-81 hotfix review');
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id), 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    const block = tuning.view.blocks.find(
      (b: { block_id?: string }) => b.block_id === 'tune.permission.gh-payments',
    ) as {
      element: { options: { value: string }[]; initial_option: { value: string } };
    };
    expect(block.element.options.map((o) => o.value)).toEqual(['read', 'triage', 'write']);
    expect(block.element.initial_option.value).toBe('write');
    await h.driver.submitView(PEOPLE.approver, tuning.id, { 'tune.permission.gh-payments': 'triage' });
    h.slack.clearViews(PEOPLE.approver);
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    expect(permissionOf('rita-dev')).toBe('triage');
    expect(gh.collaborators('payments')).toMatchObject({ ann: 'admin', bob: 'admin', cat: 'admin' });
    const [grant] = await h.sql`select policy from grants where request_id = ${id}`;
    expect(grant!.policy.resources).toEqual([{ type: 'repository', resource: 'gh-payments', permission: 'triage' }]);
    expect(allText(readyDm(PEOPLE.requester, id)!.blocks)).toContain('triage permission on acme/payments as rita-dev');
    expect(await targetOf(h, id)).toMatchObject({
      status: 'active',
      state: { kind: 'repository', repository: 'acme/payments', login: 'rita-dev', permission: 'triage' },
    });
    expect(await actionsOf(id)).toContain('grant.provisioned');
  });

  it('the app key reaches neither the audit trail, the database, nor the logs', async () => {
    const marker = gh.privateKeyPem!.split('\n')[1]!;
    for (const table of ['audit_events', 'grant_targets', 'outbox', 'resources']) {
      expect(JSON.stringify(await h.sql`select * from ${h.sql(table)}`)).not.toContain(marker);
    }
    expect(h.logs.join('\n')).not.toContain(marker);
  });

  it('at expiry the collaborator is removed; the others stay', async () => {
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(permissionOf('rita-dev')).toBeUndefined();
    expect(Object.keys(gh.collaborators('payments'))).toEqual(['ann', 'bob', 'cat']);
    expect(await actionsOf(id)).toContain('grant.deprovisioned');
  });

  it('someone outside the organization is invited; the invitation, never accepted, is withdrawn at the end', async () => {
    const mine = await ask(OUTSIDER, 'gh-payments', 'INC-82 contractor fix');
    await approve(h, PEOPLE.approver, mine);
    expect(gh.invitations('payments')).toEqual([{ id: expect.any(Number), login: 'olga-oss', role: 'write' }]);
    expect(permissionOf('olga-oss')).toBeUndefined();
    expect(allText(readyDm(OUTSIDER, mine)!.blocks)).toContain('GitHub invited olga-oss to acme/payments');
    await revoke(h, PEOPLE.approver, mine);
    expect(await statusOf(h, mine)).toBe('revoked');
    expect(gh.invitations('payments')).toEqual([]);
    expect(permissionOf('olga-oss')).toBeUndefined();
  });

  it('two overlapping grants: ending the write one leaves read for the other, ending that removes it', async () => {
    const first = await ask(PEOPLE.requester, 'gh-payments', 'INC-83 write');
    await approve(h, PEOPLE.approver, first);
    const second = await ask(PEOPLE.requester, 'gh-payments', 'INC-84 read');
    await approve(h, PEOPLE.approver, second, { 'tune.permission.gh-payments': 'read' });
    expect(permissionOf('rita-dev')).toBe('write');
    await revoke(h, PEOPLE.approver, first);
    expect(permissionOf('rita-dev')).toBe('read');
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 0, removed: 0 });
    await revoke(h, PEOPLE.approver, second);
    expect(permissionOf('rita-dev')).toBeUndefined();
  });

  it('reconcile puts back a collaborator removed by hand, and removes one added back after the grant ended', async () => {
    const mine = await ask(REX, 'gh-payments', 'INC-85');
    await approve(h, PEOPLE.approver, mine, { 'tune.permission.gh-payments': 'read' });
    expect(permissionOf('rex-dev')).toBe('read');
    gh.org.repos.get('payments')!.collaborators.delete('rex-dev');
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 1, removed: 0 });
    await h.settle();
    expect(permissionOf('rex-dev')).toBe('read');
    await revoke(h, PEOPLE.approver, mine);
    gh.org.repos.get('payments')!.collaborators.set('rex-dev', 'read');
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 0, removed: 1 });
    await h.settle();
    expect(permissionOf('rex-dev')).toBeUndefined();
    const actions = await actionsOf(mine);
    expect(actions).toContain('reconcile.missing_access');
    expect(actions).toContain('reconcile.leftover_access');
  });

  it('no GitHub login in the Slack profile: requester and approver read why, and nothing is granted', async () => {
    const mine = await ask(PEOPLE.other, 'gh-payments', 'INC-86');
    await approve(h, PEOPLE.approver, mine);
    const sentence = 'no GitHub login in their Slack profile field “GitHub”';
    expect(await targetOf(h, mine)).toMatchObject({ status: 'failed', last_error: expect.stringContaining(sentence) });
    for (const person of [PEOPLE.other, PEOPLE.approver])
      expect(h.slack.dmsTo(person).some((m) => allText(m.blocks).includes(sentence))).toBe(true);
    expect(Object.keys(gh.collaborators('payments'))).toEqual(['ann', 'bob', 'cat']);
  });
});

describe('a GitHub team through Slack', () => {
  it('approval adds the requester to the team; revoking removes them', async () => {
    const id = await ask(PEOPLE.requester, 'gh-oncall', 'INC-87 on call this week');
    await approve(h, PEOPLE.approver, id);
    expect(gh.teamMembers('oncall')).toEqual([{ login: 'rita-dev', role: 'member', state: 'active' }]);
    expect(allText(readyDm(PEOPLE.requester, id)!.blocks)).toContain('member of the GitHub team acme/oncall');
    await revoke(h, PEOPLE.approver, id);
    expect(gh.teamMembers('oncall')).toEqual([]);
  });

  it('a secondary rate limit delays the grant by GitHub’s retry-after, never drops it', async () => {
    gh.secondaryRateLimit(120, 1);
    const id = await ask(PEOPLE.requester, 'gh-oncall', 'INC-88');
    await approve(h, PEOPLE.approver, id);
    expect(await targetOf(h, id)).toMatchObject({
      status: 'pending',
      last_error: expect.stringContaining('secondary rate limit'),
    });
    const [wait] = await h.sql`select extract(epoch from (available_at - now()))::int as s from outbox
      where done_at is null and topic = 'grant.provision'`;
    expect(wait!.s).toBeGreaterThanOrEqual(110);
    expect(gh.teamMembers('oncall')).toEqual([]);
    await retryNow(h);
    expect(gh.teamMembers('oncall')).toEqual([{ login: 'rita-dev', role: 'member', state: 'active' }]);
    await revoke(h, PEOPLE.approver, id);
    expect(gh.teamMembers('oncall')).toEqual([]);
  });
});
