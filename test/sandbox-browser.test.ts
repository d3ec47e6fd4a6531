import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { launchChromium, requireChromium, WAIT } from './support/chromium.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS } from '../doubles/support/until.js';

/**
 * The sandbox page in a real headless Chromium (Debian's package; .ci/run installs it), clicked
 * through the way a visitor would: request, approve with tuning, see the grant, watch it expire.
 * Without Chromium this fails: a browser journey that silently skips proves nothing.
 */
const SHOTS = fileURLToPath(new URL('../test-artifacts/sandbox/', import.meta.url));

let sandbox: Sandbox;
let context: BrowserContext;
let page: Page;
const dirs: string[] = [];
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const dialog = (title: string) => page.getByRole('dialog', { name: title });
const messages = () => page.locator('#messages');
/** Emoji shortcodes (`:robot_face:`) left as text: Slack draws the ones it knows. */
const SHORTCODE = /:[a-z][a-z0-9_+-]*:/;
const command = async (text: string) => {
  await page.getByRole('textbox', { name: 'Message access-bot' }).fill(text);
  await page.getByRole('textbox', { name: 'Message access-bot' }).press('Enter');
};

/**
 * Clicks a link button in a message (Slack opens its URL in the browser), and at the identity provider's
 * page checks who is picked already, signs in with MFA and returns the page the bot shows afterwards.
 */
async function signInAtProvider(button: Locator, expectedPerson: RegExp, shotName: string): Promise<string> {
  const [popup] = await Promise.all([context.waitForEvent('page', WAIT), button.click()]);
  popup.on('pageerror', (e) => pageErrors.push(e.message));
  await popup.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
  expect(await popup.getByRole('radio', { checked: true }).count()).toBe(1);
  expect(await popup.getByRole('radio', { name: expectedPerson }).isChecked()).toBe(true);
  expect(await popup.getByRole('checkbox', { name: /second factor/ }).isChecked()).toBe(true);
  await popup.screenshot({ path: join(SHOTS, `${shotName}.png`), fullPage: true });
  await popup.getByRole('button', { name: 'Sign in' }).click();
  // Back at the bot's /oidc/callback (another origin than the provider's page that posted the form).
  await popup.waitForURL(/\/oidc\/callback/, WAIT);
  const text = await popup.locator('body').innerText();
  await popup.close();
  return text;
}

const actAs = async (name: string) => {
  await page.getByRole('button', { name, exact: true }).click();
  await page.locator('.me strong', { hasText: name }).waitFor(WAIT);
};

beforeAll(async () => {
  requireChromium();
  mkdirSync(SHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-data-'));
  const profile = mkdtempSync(join(tmpdir(), 'sandbox-chromium-'));
  dirs.push(dataDir, profile);
  sandbox = await startSandbox({
    slackDeadlines: SLACK_DEADLINES_AS_HANG_GUARDS,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  });
  // A fresh profile every run: nothing cached or remembered from an earlier run.
  context = await launchChromium(profile, { width: 1280, height: 860 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await context?.close();
  await sandbox?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function pick(locator: Locator, value: string | string[]) {
  await locator.waitFor(WAIT);
  await locator.selectOption(value);
}

/**
 * Picks resources in the request form and waits for the bot to draw the form again with those
 * resources' rules (redraw-on-pick), as a person sees it change before typing the justification: text
 * typed into the form the redraw replaces would go with the replaced form.
 */
async function pickResources(form: Locator, resources: string[]) {
  const drawn = await form.elementHandle(WAIT);
  await pick(form.getByLabel('Resources'), resources);
  await drawn!.waitForElementState('hidden', WAIT);
}

/** The active person asks for one resource in the request form, then closes the "Request sent" view. */
async function requestInPage(resource: string, minutes: string, why: string) {
  await command('/access request');
  const form = dialog('Request access');
  await pickResources(form, [resource]);
  await pick(form.getByLabel('For how long'), minutes);
  await form.getByLabel(/Why do you need it/).fill(why);
  await form.getByRole('button', { name: 'Send request' }).click();
  const sent = dialog('Request sent');
  await sent.waitFor(WAIT);
  await sent.locator('footer button').first().click();
  await sent.waitFor({ state: 'detached', ...WAIT });
}

describe('the sandbox in a browser', () => {
  it('request, approve with a shorter duration, see the grant, the webhook and the expiry', async () => {
    await page.goto(sandbox.url);
    expect(await page.locator('.sandbox-banner').innerText()).toContain('SANDBOX');
    await page.locator('.me strong', { hasText: 'Rita Requester' }).waitFor(WAIT);

    // Rita asks for prod-db for an hour; a too-short justification comes back as an inline error.
    await page.getByRole('textbox', { name: 'Message access-bot' }).fill('/access request');
    await page.getByRole('textbox', { name: 'Message access-bot' }).press('Enter');
    const form = dialog('Request access');
    await pickResources(form, ['prod-db']);
    await pick(form.getByLabel('For how long'), '60');
    await form.getByLabel('Why do you need it?').fill('logs');
    await form.getByRole('button', { name: 'Send request' }).click();
    await form.locator('.error').waitFor(WAIT);
    expect(await form.locator('[data-block-id="request.justification"] .error').innerText()).toMatch(/10 characters/);
    await shot('01-request-inline-error');
    await form.getByLabel('Why do you need it?').fill('INC-42: check failed payments');
    await shot('02-request-form');
    await form.getByRole('button', { name: 'Send request' }).click();
    const sent = dialog('Request sent');
    await sent.waitFor(WAIT);
    expect(await sent.innerText()).toContain('Alex Approver');
    await shot('03-request-sent');
    await sent.locator('footer button').first().click();
    await sent.waitFor({ state: 'detached', ...WAIT });

    // Alex sees the DM, clicks Approve…, shortens the grant to 15 minutes.
    await actAs('Alex Approver');
    const approveButton = messages().getByRole('button', { name: 'Approve…' });
    await approveButton.waitFor(WAIT);
    expect(await messages().innerText()).toContain('@Rita Requester');
    expect(await messages().innerText()).toContain('INC-42: check failed payments');
    // mrkdwn as Slack shows it: <@U…> as the person's name, <!date^…|fallback> as its fallback.
    expect(await messages().innerText()).toMatch(/Requested \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(await messages().innerText()).not.toMatch(/<@U|<!date|&lt;/);
    await shot('04-approver-dm');
    await approveButton.click();
    const tuning = dialog('Approve access');
    await pick(tuning.getByLabel('Grant for'), '15');
    await tuning.getByRole('radio', { name: 'Read-only' }).check();
    await shot('05-tuning-modal');
    await tuning.getByRole('button', { name: 'Approve', exact: true }).click();
    await tuning.waitFor({ state: 'detached', ...WAIT });
    await messages()
      .getByText(/Approved by/)
      .first()
      .waitFor(WAIT);
    await shot('06-approver-after');

    // Rita is told, and her App Home shows the active grant.
    await actAs('Rita Requester');
    await messages()
      .getByText(/granted/i)
      .first()
      .waitFor(WAIT);
    expect(await messages().innerText()).toMatch(/15m/);
    await shot('07-requester-approved-dm');
    await page.getByRole('tab', { name: 'Home' }).click();
    const home = page.locator('#home');
    await home
      .getByText(/active/)
      .first()
      .waitFor(WAIT);
    expect(await home.innerText()).toContain('prod-db');

    // The webhook provisioner delivered the grant to the built-in receiver, signature verified.
    const activated = page.locator('#webhooks li[data-type="grant.activated"]');
    await activated.waitFor(WAIT);
    expect(await activated.innerText()).toContain('signature ok');
    expect(await activated.innerText()).toContain('prod-db');
    await shot('08-requester-home-active');

    // The fast clock: 15 minutes later the grant has ended, and the receiver heard of it.
    await page.locator('#advance-minutes').fill('16');
    await page.getByRole('button', { name: 'Advance clock' }).click();
    await home
      .getByText(/expired/)
      .first()
      .waitFor(WAIT);
    await page.locator('#webhooks li[data-type="grant.revoked"]').waitFor(WAIT);
    await shot('09-after-expiry');

    // Everything the bot sent was drawn (nothing fell back to JSON), and the page raised no errors.
    expect(await page.locator('.unrendered').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    const refused = sandbox.slack.failures().map((c) => `${c.method}: ${c.error}`);
    expect(refused).toEqual([]);
  });

  it('the on-call switch: Rita on call is approved at once, and the page says why', async () => {
    await actAs('Rita Requester');
    const panel = page.locator('#on-call');
    await panel.getByText(/Dana Ops on call now/).waitFor(WAIT);
    await panel.getByRole('button', { name: 'Put me on call' }).click();
    await panel.getByText(/Rita Requester on call now/).waitFor(WAIT);
    await page.getByRole('tab', { name: 'Messages' }).click();
    await page.getByRole('textbox', { name: 'Message access-bot' }).fill('/access request');
    await page.getByRole('textbox', { name: 'Message access-bot' }).press('Enter');
    const form = dialog('Request access');
    await pickResources(form, ['prod-db']);
    await pick(form.getByLabel('For how long'), '60');
    await form.getByLabel('Why do you need it?').fill('INC-43: on call, payments are failing');
    await form.getByRole('button', { name: 'Send request' }).click();
    const sent = dialog('Request sent');
    await sent.waitFor(WAIT);
    expect(await sent.innerText()).toContain('you are on call on PagerDuty schedule “Sandbox on-call” (PSANDBX)');
    // The auto-approval's :robot_face: is drawn as Slack draws it, not left as text.
    expect(await sent.innerText()).toContain('🤖 Approved at once');
    expect(await sent.innerText()).not.toMatch(SHORTCODE);
    await shot('12-on-call-auto-approved');
    await sent.locator('footer button').first().click();
    await panel.getByRole('button', { name: 'Take me off call' }).click();
    await panel.getByText(/Dana Ops on call now/).waitFor(WAIT);
    expect(pageErrors).toEqual([]);
  });

  it('/access link and a step-up approval of the dashboards flow go through the identity provider page', async () => {
    // Rita links her company identity: the provider's page picks her (the bot sent her e-mail as login_hint).
    await actAs('Rita Requester');
    await page.getByRole('tab', { name: 'Messages' }).click();
    await command('/access link');
    const linkButton = messages().getByRole('button', { name: 'Sign in to link' });
    await linkButton.waitFor(WAIT);
    expect(await signInAtProvider(linkButton, /Rita Requester/, '13-idp-sign-in-rita')).toContain(
      'Linked as rita@example.com',
    );

    // She asks for grafana (the sample "dashboards" flow: approvers sign in again, with MFA, first).
    await requestInPage('grafana', '15', 'INC-44: look at the payment dashboards');

    // Alex's message says who Rita is at the company (with its emoji drawn); Approve… asks him to sign in.
    await actAs('Alex Approver');
    const request = messages().locator('article', { hasText: 'INC-44' });
    const approve = request.getByRole('button', { name: 'Approve…' });
    await approve.waitFor(WAIT);
    expect(await request.innerText()).toContain('🪪 Requester linked as rita@example.com');
    await shot('14-approver-dm-emoji');
    await approve.click();
    const signIn = messages().getByRole('button', { name: 'Sign in to approve' });
    await signIn.waitFor(WAIT);
    // Alex, not Rita (the first on the list), is picked: the bot named him in login_hint.
    expect(await signInAtProvider(signIn, /Alex Approver/, '15-idp-sign-in-alex')).toContain(
      'Signed in as alex@example.com. Go back to Slack and click Approve again.',
    );

    // Back in Slack: Approve… now opens the tuning modal, and the grant is made.
    await approve.click();
    const tuning = dialog('Approve access');
    await tuning.getByRole('button', { name: 'Approve', exact: true }).click();
    await tuning.waitFor({ state: 'detached', ...WAIT });
    await request
      .getByText(/Approved by/)
      .first()
      .waitFor(WAIT);
    await shot('16-after-step-up-approval');
    expect(await messages().innerText()).not.toMatch(SHORTCODE);

    // Rita has the grant; the webhook receiver got it, its payload one click away under a label that says so.
    await actAs('Rita Requester');
    await page.getByRole('tab', { name: 'Home' }).click();
    await page
      .locator('#home .block.section', { hasText: 'grafana' })
      .getByText(/active/)
      .first()
      .waitFor(WAIT);
    const delivery = page.locator('#webhooks li[data-type="grant.activated"]', { hasText: 'grafana' });
    await delivery.waitFor(WAIT);
    const payload = delivery.getByText(/^Payload \(JSON\)/);
    await payload.click();
    await expect.poll(() => delivery.locator('pre').isVisible()).toBe(true);
    expect(await delivery.locator('pre').innerText()).toContain('"grafana"');
    await page.locator('#webhooks').screenshot({ path: join(SHOTS, '17-webhook-payload.png') });
    await page.getByRole('tab', { name: 'Messages' }).click();
    expect(await messages().innerText()).not.toMatch(SHORTCODE);
    expect(await page.locator('.unrendered').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('an AWS grant through the real SDK appears on the targets panel, with the role Alex kept, and goes at expiry', async () => {
    await actAs('Rita Requester');
    await page.getByRole('tab', { name: 'Messages' }).click();
    await requestInPage('aws-prod', '15', 'INC-43: check the billing alarms');

    await actAs('Alex Approver');
    await page.getByRole('tab', { name: 'Messages' }).click();
    const approveButton = messages().getByRole('button', { name: 'Approve…' }).last();
    await approveButton.waitFor(WAIT);
    await approveButton.click();
    const tuning = dialog('Approve access');
    await tuning.getByRole('button', { name: 'Approve', exact: true }).click();
    await tuning.waitFor({ state: 'detached', ...WAIT });

    const aws = page.locator('#targets .target[data-target^="AWS account"]');
    await aws.getByText(/ReadOnly/).waitFor(WAIT);
    expect(await aws.innerText()).not.toContain('Admin');
    await shot('20-aws-target-granted');

    await page.locator('#advance-minutes').fill('16');
    await page.getByRole('button', { name: 'Advance clock' }).click();
    await aws.getByText('Nothing granted.').waitFor(WAIT);
    await shot('21-aws-target-after-expiry');
    expect(pageErrors).toEqual([]);
  });

  it('a group added in the Okta double becomes requestable after Sync now; deleted, the next sync ends the grant and Rita reads why', async () => {
    const okta = page.locator('#group-sources .group-source[data-source="okta-jit"]');
    const groupRow = (group: string) => okta.locator(`li[data-group="${group}"]`);
    // The start-up sync made the seeded jit-* groups resources; Support Admins is left out.
    await groupRow('jit-db-readers').getByText('requestable').waitFor(WAIT);
    expect(await okta.innerText()).toContain('Left out by the filter: Support Admins');
    expect(await page.locator('#group-sources [data-source="entra-jit"]').innerText()).toContain(
      'entra-jit-finance-reports',
    );

    // An Okta admin adds a group; Sync now makes it a resource.
    await okta.getByRole('button', { name: 'Add a group in Okta' }).click();
    await groupRow('jit-analytics').waitFor(WAIT);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await groupRow('jit-analytics').getByText('requestable').waitFor(WAIT);
    expect(await groupRow('jit-analytics').innerText()).toContain('okta-jit-analytics');
    await page.locator('#group-sources').screenshot({ path: join(SHOTS, '22-group-source-synced.png') });

    // Rita asks for it in the request form; Alex approves; Okta lists her as a member.
    await actAs('Rita Requester');
    await page.getByRole('tab', { name: 'Messages' }).click();
    await requestInPage('okta-jit-analytics', '15', 'INC-46: read the analytics dashboards');
    await actAs('Alex Approver');
    const request = messages().locator('article', { hasText: 'INC-46' });
    await request.getByRole('button', { name: 'Approve…' }).click();
    const tuning = dialog('Approve access');
    await tuning.getByRole('button', { name: 'Approve', exact: true }).click();
    await tuning.waitFor({ state: 'detached', ...WAIT });
    await groupRow('jit-analytics').getByText('Members: Rita Requester').waitFor(WAIT);

    // The group is deleted in Okta; after Sync now the resource is retired, and Rita's DM says why her access ended.
    await groupRow('jit-analytics').getByRole('button', { name: 'Delete group jit-analytics in Okta' }).click();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await okta
      .locator('li[data-group="jit-analytics"][data-state="requestable"]')
      .waitFor({ state: 'detached', ...WAIT });
    await actAs('Rita Requester');
    const ended = messages().locator('article', { hasText: 'has ended: the Okta group behind' });
    await ended.waitFor(WAIT);
    expect(await ended.innerText()).toContain('okta-jit-analytics no longer exists');
    await shot('23-group-source-retired');
    expect(await page.locator('.unrendered').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('every emoji shortcode the bot writes is drawn by the page as Slack draws it', async () => {
    const slackDir = fileURLToPath(new URL('../src/slack/', import.meta.url));
    const codes = new Set<string>();
    for (const file of readdirSync(slackDir, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      for (const m of readFileSync(join(slackDir, file), 'utf8').matchAll(new RegExp(SHORTCODE, 'g'))) codes.add(m[0]);
    }
    expect(codes.size).toBeGreaterThan(10);
    // The page's own module, as the page loads it (a string, so vitest leaves its import() alone).
    const asText = await page.evaluate<string[]>(
      `import('/sandbox/assets/mrkdwn.js').then(({ mrkdwn }) =>
        ${JSON.stringify([...codes])}.filter((c) => mrkdwn(c, { users: {}, channels: {}, groups: {} }) === c))`,
    );
    expect(asText).toEqual([]);
  });

  it('an admin adds a flow in App Home with type-ahead, user, group and channel pickers, then disables it', async () => {
    await actAs('Ada Admin');
    await page.getByRole('tab', { name: 'Home' }).click();
    await page.getByRole('button', { name: 'Approval flows' }).click();
    await page.getByRole('button', { name: 'Add flow' }).click();
    const form = dialog('New approval flow');
    await form.getByLabel('Name', { exact: true }).fill('db-readers');
    // External selects ask the bot for options as the admin types (block_suggestion).
    const resources = form.getByLabel('Resources by name');
    await resources.fill('prod');
    await form.getByRole('option', { name: 'prod-db' }).click();
    await pick(form.getByLabel('Requester users'), ['U0RITA']);
    const groups = form.getByLabel('Approver groups');
    await groups.fill('op');
    await form.getByRole('option', { name: '@ops' }).click();
    await pick(form.getByLabel('Durations offered'), ['15', '60']);
    await form.getByLabel('Approvals required').fill('1');
    await pick(form.getByLabel('Notify approvers in a channel'), 'C0OPS');
    await form.getByRole('checkbox', { name: /Allow self-approval/ }).check();
    await shot('10-admin-new-flow');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached', ...WAIT });

    const home = page.locator('#home');
    const flow = home.locator('.block.section', { hasText: 'db-readers' });
    await flow.waitFor(WAIT);
    const text = await flow.innerText();
    expect(text).toContain('prod-db');
    expect(text).toContain('@Rita Requester');
    expect(text).toContain('@ops');
    expect(text).toContain('#ops-approvals');
    expect(text).toContain('self-approval allowed');
    // The row's overflow menu (⋯) sends block_actions like Slack's menu does.
    await flow.getByRole('combobox', { name: 'More actions' }).selectOption({ label: 'Disable' });
    await home
      .locator('.block.section', { hasText: 'db-readers' })
      .getByText(/disabled/)
      .waitFor(WAIT);
    await shot('11-admin-flow-disabled');
    expect(await page.locator('.unrendered').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
