import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { tuningBlock } from '../src/slack/ids.js';
import { SIGNING_SECRET, startHarness, type Harness } from './support/harness.js';
import { allText, approve, requestAccess, submitAs } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Issue 23, item 1: who is an admin is the operator's decision, and an admin in Slack can choose among the
 * secrets the operator declared, never the bot's own credentials, any file, or a plain-http host; changes
 * to where grants go are audited and told to the other admins.
 */
const accessFile = `
resources:
  - { name: grafana, type: http, tags: [observability] }
flows:
  - name: cluster-access
    resources: { tags: [cluster] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
`;

const DECLARED = 'k8s-token-the-operator-declared';
let h: Harness;
/** Stands for the attacker's host: every Authorization header it was sent. */
let capture: Server;
const captured: string[] = [];
let capturePort = 0;

beforeAll(async () => {
  capture = createServer((req, res) => {
    captured.push(String(req.headers.authorization ?? ''));
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  capturePort = (capture.address() as { port: number }).port;
  h = await startHarness({
    accessFile,
    env: { ACCESS_ADMIN_GROUP: 'S0DBTEAM' },
    app: {
      // As main once did: the whole environment. Only ACCESS_SECRET_* may reach a provisioner.
      secretEnv: {
        ACCESS_SECRET_K8S_TOKEN: DECLARED,
        ACCESS_SECRET_COPY_OF_SIGNING: SIGNING_SECRET,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
      },
    },
  });
});
afterAll(async () => {
  await h?.stop();
  capture?.close();
});

async function openHome(user: string) {
  const before = h.slack.calls('views.publish').length;
  await h.driver.appHomeOpened(user);
  await until(() => h.slack.calls('views.publish').length > before, 'home published');
  return h.slack.home(user)!;
}

async function resourceModal() {
  await openHome(PEOPLE.admin);
  const before = h.slack.home(PEOPLE.admin)?.hash;
  await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.resources');
  await until(() => h.slack.home(PEOPLE.admin)?.hash !== before, 'resources tab');
  h.slack.clearViews(PEOPLE.admin);
  await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.resource.add');
  return until(() => h.slack.topView(PEOPLE.admin), 'resource modal');
}

const cluster = (settings: string) => ({
  'ar.name': 'k8s-prod',
  'ar.type': 'kubernetes',
  'ar.tags': ['cluster'],
  'ar.provisioner': 'kubernetes',
  'ar.settings': settings,
});

describe('who is an admin is the operator’s decision', () => {
  it('a Slack workspace admin is not the bot’s admin; ACCESS_ADMINS and the ACCESS_ADMIN_GROUP members are', async () => {
    expect(allText((await openHome(PEOPLE.workspaceAdmin)).view.blocks)).not.toContain('home.tab.flows');
    expect(allText((await openHome(PEOPLE.admin)).view.blocks)).toContain('home.tab.flows');
    expect(allText((await openHome(PEOPLE.dba)).view.blocks)).toContain('home.tab.flows');
  });

  it('a workspace admin submitting the resource form is refused and nothing is stored', async () => {
    const modal = await resourceModal();
    await submitAs(
      h,
      PEOPLE.workspaceAdmin,
      modal.id,
      cluster('api_url: https://k8s.example.com\ntoken: env:ACCESS_SECRET_K8S_TOKEN'),
    );
    await until(() => h.slack.topView(PEOPLE.workspaceAdmin), 'refusal');
    expect(allText(h.slack.topView(PEOPLE.workspaceAdmin)!.view)).toContain('Only admins can change');
    expect(await h.sql`select 1 from resources where name = 'k8s-prod'`).toHaveLength(0);
    h.slack.clearViews(PEOPLE.workspaceAdmin);
  });

  it('with ACCESS_WORKSPACE_ADMINS=true the operator makes workspace admins admins too', async () => {
    const other = await startHarness({ accessFile, env: { ACCESS_WORKSPACE_ADMINS: 'true' } });
    try {
      await other.driver.appHomeOpened(PEOPLE.workspaceAdmin);
      const home = await until(() => other.slack.home(PEOPLE.workspaceAdmin), 'home');
      expect(allText(home.view.blocks)).toContain('home.tab.flows');
    } finally {
      await other.stop();
    }
  });
});

describe('a resource uses only the secrets the operator declared', () => {
  it.each([
    [
      'the signing secret',
      'api_url: https://k8s.example.com\ntoken: env:SLACK_SIGNING_SECRET',
      'is not a secret the operator declared',
    ],
    [
      'the database URL',
      'api_url: https://k8s.example.com\ntoken: env:DATABASE_URL',
      'is not a secret the operator declared',
    ],
    [
      'any file',
      'api_url: https://k8s.example.com\ntoken: file:/etc/passwd',
      'file: references need ACCESS_SECRETS_DIR',
    ],
    [
      'an undeclared name',
      'api_url: https://k8s.example.com\ntoken: env:ACCESS_SECRET_NOPE',
      'env:ACCESS_SECRET_NOPE is not declared: the operator sets ACCESS_SECRET_NOPE',
    ],
    [
      'a declared copy of a bot credential',
      'api_url: https://k8s.example.com\ntoken: env:ACCESS_SECRET_COPY_OF_SIGNING',
      "holds one of the bot's own credentials",
    ],
    ['a plain-http host', 'api_url: http://attacker.example:8080\ntoken: env:ACCESS_SECRET_K8S_TOKEN', 'an https URL'],
  ])('refuses %s under the field, and stores nothing', async (_what, settings, sentence) => {
    const modal = await resourceModal();
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, cluster(settings));
    expect(res.json.response_action).toBe('errors');
    expect(res.json.errors['ar.settings']).toContain(sentence);
    expect(await h.sql`select 1 from resources where name = 'k8s-prod'`).toHaveLength(0);
    h.slack.clearViews(PEOPLE.admin);
  });

  it('names the declared secrets to choose from, and never the bot’s own', async () => {
    const modal = await resourceModal();
    const hint = allText(modal.view.blocks.find((b: { block_id?: string }) => b.block_id === 'ar.settings'));
    expect(hint).toContain('env:ACCESS_SECRET_COPY_OF_SIGNING, env:ACCESS_SECRET_K8S_TOKEN.');
    expect(hint).not.toContain('SLACK_SIGNING_SECRET');
    const res = await h.driver.submitView(
      PEOPLE.admin,
      modal.id,
      cluster('api_url: https://k8s.example.com\ntoken: env:ACCESS_SECRET_NOPE'),
    );
    expect(res.json.errors['ar.settings']).toContain(
      'Declared: env:ACCESS_SECRET_COPY_OF_SIGNING, env:ACCESS_SECRET_K8S_TOKEN.',
    );
    expect(res.json.errors['ar.settings']).not.toContain('SLACK_SIGNING_SECRET');
    h.slack.clearViews(PEOPLE.admin);
  });

  it('saves a declared secret; the change is audited before/after and every other admin is told', async () => {
    const dmsBefore = (user: string) => h.slack.dmsTo(user).length;
    const [adaBefore, danaBefore] = [dmsBefore(PEOPLE.admin), dmsBefore(PEOPLE.dba)];
    const modal = await resourceModal();
    const res = await h.driver.submitView(
      PEOPLE.admin,
      modal.id,
      cluster(`api_url: https://k8s.example.com\ntoken: env:ACCESS_SECRET_K8S_TOKEN`),
    );
    expect(res.status).toBe(200);
    expect(res.json?.response_action).not.toBe('errors');
    await h.settle();
    const [audit] = await h.sql`select actor, details from audit_events where action = 'resource.created'`;
    expect(audit).toMatchObject({
      actor: PEOPLE.admin,
      details: {
        before: null,
        after: {
          provisioner: {
            type: 'kubernetes',
            settings: { api_url: 'https://k8s.example.com', token: 'env:ACCESS_SECRET_K8S_TOKEN' },
          },
        },
      },
    });
    const told = await until(
      () =>
        h.slack
          .dmsTo(PEOPLE.dba)
          .slice(danaBefore)
          .find((m) => m.text?.includes('k8s-prod')),
      'the other admin told',
    );
    expect(told.text).toContain(`<@${PEOPLE.admin}> added the target of resource *k8s-prod*`);
    expect(told.text).toContain('api_url: (none) → `https://k8s.example.com`');
    expect(told.text).toContain('token: (none) → `env:ACCESS_SECRET_K8S_TOKEN`');
    expect(told.text).not.toContain(DECLARED);
    // The admin who made the change is not told about it.
    expect(
      h.slack
        .dmsTo(PEOPLE.admin)
        .slice(adaBefore)
        .some((m) => m.text?.includes('k8s-prod')),
    ).toBe(false);
  });

  it('a grant of a resource stored before these checks never sends the bot’s own credentials anywhere', async () => {
    // As a row saved by an older version (or written by hand): pointed at our "attacker" with the signing secret.
    await h.sql`update resources set provisioner = ${h.sql.json({
      type: 'kubernetes',
      settings: { api_url: `http://127.0.0.1:${capturePort}`, token: 'env:SLACK_SIGNING_SECRET' },
    })} where name = 'k8s-prod'`;
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['k8s-prod'],
      duration: '60',
      justification: 'INC-7 check the pods',
    });
    await approve(h, PEOPLE.approver, id!, { [tuningBlock('k8s-prod', 'namespaces')]: 'default' });
    await h.settle();
    const problem = await until(
      () => h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m).includes('could not be set up')),
      'the requester told the access could not be set up',
    );
    expect(allText(problem)).toContain('env:SLACK_SIGNING_SECRET is not a secret reference');
    expect(captured).toEqual([]);
    expect(h.logs.join('')).not.toContain(SIGNING_SECRET);
    expect(JSON.stringify(await h.sql`select details from audit_events`)).not.toContain(SIGNING_SECRET);
  });
});
