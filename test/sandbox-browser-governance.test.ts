import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSandboxPage, pageSteps, SHORTCODE, WAIT, type SandboxPage } from './support/sandbox-page.js';

/**
 * Request fields, bundles, approval stages with the requester's manager, and requests on behalf of someone,
 * clicked through the sandbox page in a real Chromium: every Block Kit element these put in the request form
 * (menus that redraw the form, people pickers, a number, a date, multiline text) and the errors under a field.
 * Screenshots 30–49 in test-artifacts/sandbox/ (the first journeys take 01–23).
 */
let s: SandboxPage;
let steps: ReturnType<typeof pageSteps>;

beforeAll(async () => {
  s = await openSandboxPage();
  steps = pageSteps(s.page, s.context, s.pageErrors);
});

afterAll(async () => {
  await s?.stop();
});

// A journey that failed midway leaves nothing open for the next one.
beforeEach(async () => {
  await steps.closeModals();
  s.pageErrors.length = 0;
});

const page = () => s.page;
/** Nothing fell back to JSON, no emoji left as text, no page errors, and Slack refused no call. */
async function pageIsClean() {
  expect(await s.page.locator('.unrendered').count()).toBe(0);
  expect(await steps.messages().innerText()).not.toMatch(SHORTCODE);
  expect(s.pageErrors).toEqual([]);
  expect(s.sandbox.slack.failures().map((c) => `${c.method}: ${c.error}`)).toEqual([]);
}

describe('the sandbox page with request fields, bundles, stages and on-behalf', () => {
  it('request fields: picking status-page asks for the incident fields; a bad id is said under its field; sev1 is approved at once', async () => {
    const { actAs, command, dialog, pick, pickAndRedraw, shot } = steps;
    await actAs('Rita Requester');
    await command('/access request');
    const form = dialog('Request access');
    await pickAndRedraw(form, form.getByLabel('Resources'), ['status-page']);
    // The incident flow's fields appear with Slack's elements for them.
    await pick(form.getByLabel('Severity'), 'sev1');
    await form.getByLabel('Incident', { exact: true }).fill('incident 42');
    await form.getByLabel('Responders').fill('3');
    await form.getByLabel('Needed until').fill('2030-01-15');
    await pick(form.getByLabel('Incident commander'), 'U0DANA');
    await form.getByLabel(/Why do you need it/).fill('Status page says\npayments are degraded');
    await form.getByRole('button', { name: 'Send request' }).click();

    const incident = form.locator('[data-block-id$=".incident"]');
    await incident.locator('.error').waitFor(WAIT);
    // The field's hint is the sentence under it; nothing else is marked wrong.
    expect(await incident.locator('.error').innerText()).toBe('The incident id, like INC-42');
    expect(await form.locator('.error').count()).toBe(1);
    // What was entered stays after the error (the page sent it, the double kept it).
    expect(await form.getByLabel('Severity').inputValue()).toBe('sev1');
    expect(await form.getByLabel('Responders').inputValue()).toBe('3');
    expect(await form.getByLabel('Needed until').inputValue()).toBe('2030-01-15');
    expect(await form.getByLabel('Incident commander').inputValue()).toBe('U0DANA');
    await incident.scrollIntoViewIfNeeded();
    await shot('30-request-fields-error');

    await form.getByLabel('Incident', { exact: true }).fill('INC-42');
    await shot('31-request-fields-form');
    await form.getByRole('button', { name: 'Send request' }).click();
    const sent = dialog('Request sent');
    await sent.waitFor(WAIT);
    const sentText = await sent.innerText();
    expect(sentText).toContain('🤖 Approved at once');
    expect(sentText).toContain('sev1-fast');
    expect(sentText).not.toMatch(SHORTCODE);
    await shot('32-request-fields-auto-approved');
    await sent.locator('footer button').first().click();
    await sent.waitFor({ state: 'detached', ...WAIT });

    // /access list shows the values as entered, the commander as a person.
    await command('/access list');
    const listed = steps.messages().locator('article', { hasText: 'INC-42' }).last();
    await listed.waitFor(WAIT);
    const text = await listed.innerText();
    expect(text).toMatch(/Severity:\s*sev1/);
    expect(text).toMatch(/Incident:\s*INC-42/);
    expect(text).toMatch(/Responders:\s*3/);
    expect(text).toMatch(/Needed until:\s*15 Jan 2030/);
    expect(text).toMatch(/Incident commander:\s*@Dana Ops/);
    await shot('33-request-fields-listed');
    // Rita's grant DM says what she entered too.
    const dm = steps.messages().locator('article', { hasText: 'Auto-approved by rule' }).first();
    expect(await dm.innerText()).toMatch(/Incident commander:\s*@Dana Ops/);
    await pageIsClean();
  });

  it('stages and the manager: billing-db goes to Rita’s manager first, then to the data owner', async () => {
    const { actAs, command, dialog, messages, pick, pickAndRedraw, shot } = steps;
    await actAs('Rita Requester');
    await command('/access request');
    const form = dialog('Request access');
    await pickAndRedraw(form, form.getByLabel('Resources'), ['billing-db']);
    await pick(form.getByLabel('For how long'), '60');
    await form.getByLabel(/Why do you need it/).fill('INC-48: reconcile the November invoices');
    await form.getByRole('button', { name: 'Send request' }).click();
    const sent = dialog('Request sent');
    await sent.waitFor(WAIT);
    expect(await sent.innerText()).toContain('Alex Approver');
    await sent.locator('footer button').first().click();
    await sent.waitFor({ state: 'detached', ...WAIT });

    // Dana, the stage-2 approver, has nothing yet.
    await actAs('Dana Ops');
    expect(await messages().locator('article', { hasText: 'INC-48' }).count()).toBe(0);

    // Alex is Rita's manager (the access file's `managers:`): stage 1 is his.
    await actAs('Alex Approver');
    const first = messages().locator('article', { hasText: 'INC-48' });
    await first.getByRole('button', { name: 'Approve…' }).waitFor(WAIT);
    const firstText = await first.innerText();
    expect(firstText).toMatch(/Stage 1 of 2/);
    expect(firstText).toMatch(/peer review/i);
    expect(firstText).toMatch(/Manager: @Alex Approver/);
    await shot('34-stage-1-manager');
    await first.getByRole('button', { name: 'Approve…' }).click();
    const tuning = dialog('Approve access');
    await tuning.getByRole('button', { name: 'Approve', exact: true }).click();
    // The tuning modal turns into what happened: his stage passed, the next one is asked.
    const passed = dialog('Stage passed');
    await passed.waitFor(WAIT);
    expect(await passed.innerText()).toContain('The approvers of the next stage are asked now');
    await passed.locator('footer button').first().click();
    await passed.waitFor({ state: 'detached', ...WAIT });
    // His message loses its buttons and says who has the request now.
    await first.getByText(/peer review passed by @Alex Approver; now at stage 2 of 2: owner approval/).waitFor(WAIT);
    expect(await first.getByRole('button', { name: 'Approve…' }).count()).toBe(0);

    // Now Dana's message comes, at stage 2 of 2, naming the stage Alex passed.
    await actAs('Dana Ops');
    const second = messages().locator('article', { hasText: 'INC-48' });
    await second.getByRole('button', { name: 'Approve…' }).waitFor(WAIT);
    const secondText = await second.innerText();
    expect(secondText).toMatch(/Stage 2 of 2/);
    expect(secondText).toMatch(/owner approval/i);
    expect(secondText).toContain('Alex Approver');
    await shot('35-stage-2-owner');
    await second.getByRole('button', { name: 'Approve…' }).click();
    const ownerTuning = dialog('Approve access');
    await ownerTuning.getByRole('button', { name: 'Approve', exact: true }).click();
    await ownerTuning.waitFor({ state: 'detached', ...WAIT });
    await second
      .getByText(/Approved by/)
      .first()
      .waitFor(WAIT);
    await shot('36-stage-2-approved');

    await actAs('Rita Requester');
    await messages().locator('article', { hasText: 'Your access to billing-db is ready' }).waitFor(WAIT);
    await pageIsClean();
  });

  it('on behalf: Alex asks for prod-db for Rita with the For picker; Dana approves; Rita gets the grant', async () => {
    const { actAs, command, dialog, messages, pick, pickAndRedraw, shot } = steps;
    await actAs('Alex Approver');
    await command('/access request');
    const form = dialog('Request access');
    const forPicker = form.getByLabel('For (optional)', { exact: true });
    await pickAndRedraw(form, forPicker, 'U0RITA');
    // The form is drawn again for Rita: she stays picked, and it lists what she may get.
    expect(await forPicker.inputValue()).toBe('U0RITA');
    expect(await form.innerText()).toContain('Only resources you may request for this person are listed.');
    await pickAndRedraw(form, form.getByLabel('Resources'), ['prod-db']);
    expect(await forPicker.inputValue()).toBe('U0RITA');
    await pick(form.getByLabel('For how long'), '60');
    await form.getByLabel(/Why do you need it/).fill('INC-49: Rita is on the payments incident');
    await shot('37-on-behalf-form');
    await form.getByRole('button', { name: 'Send request' }).click();
    const sent = dialog('Request sent');
    await sent.waitFor(WAIT);
    // Alex reads whose access it is, and that Dana (not he, not Rita) decides.
    expect(await sent.innerText()).toMatch(/for @Rita Requester: prod-db \(1h\)/);
    expect(await sent.innerText()).toContain('Waiting for: @Dana Ops');
    await shot('38-on-behalf-sent');
    await sent.locator('footer button').first().click();
    await sent.waitFor({ state: 'detached', ...WAIT });

    // Neither Alex nor Rita may approve it: Dana does.
    await actAs('Dana Ops');
    const request = messages().locator('article', { hasText: 'INC-49' });
    await request.getByRole('button', { name: 'Approve…' }).waitFor(WAIT);
    const text = await request.innerText();
    expect(text).toContain('Rita Requester');
    expect(text).toContain('Alex Approver');
    await shot('39-on-behalf-approver');
    await request.getByRole('button', { name: 'Approve…' }).click();
    const tuning = dialog('Approve access');
    await tuning.getByRole('button', { name: 'Approve', exact: true }).click();
    await tuning.waitFor({ state: 'detached', ...WAIT });
    await request
      .getByText(/Approved by/)
      .first()
      .waitFor(WAIT);

    await actAs('Rita Requester');
    const granted = messages().locator('article', { hasText: /Your access to prod-db is ready/ });
    await granted.waitFor(WAIT);
    await shot('40-on-behalf-rita-granted');
    await actAs('Alex Approver');
    await messages()
      .locator('article', { hasText: /prod-db/ })
      .filter({ hasText: /Rita Requester/ })
      .first()
      .waitFor(WAIT);
    await pageIsClean();
  });

  it('a bundle: Rita picks incident-responder, the form fills in; each part goes to its approvers; her bundle DM shows each part', async () => {
    const { actAs, closeModals, command, dialog, messages, pickAndRedraw, shot } = steps;
    await actAs('Rita Requester');
    await command('/access request');
    const form = dialog('Request access');
    await pickAndRedraw(form, form.getByLabel('Bundle'), 'incident-responder');
    const picked = await form
      .getByLabel('Resources')
      .evaluate((n: HTMLSelectElement) => [...n.selectedOptions].map((o) => o.value));
    expect(picked.sort()).toEqual(['grafana', 'k8s-prod', 'prod-db']);
    // The person sees all three picked, not only the one the list scrolled to.
    expect(await form.locator('.picked').innerText()).toBe('Picked: grafana, k8s-prod, prod-db');
    expect(await form.getByLabel('For how long').inputValue()).toBe('60');
    expect(await form.getByLabel('Bundle').inputValue()).toBe('incident-responder');
    await form.getByLabel(/Why do you need it/).fill('INC-50: respond to the checkout outage');
    await shot('41-bundle-form');
    await form.getByRole('button', { name: 'Send request' }).click();
    const sent = dialog('Request sent');
    await sent.waitFor(WAIT);
    await shot('42-bundle-sent');
    await sent.locator('footer button').first().click();
    await sent.waitFor({ state: 'detached', ...WAIT });
    const bundleDm = messages().locator('article', { hasText: /incident-responder: 3 parts/ });
    await bundleDm.waitFor(WAIT);
    expect(await bundleDm.innerText()).toMatch(/pending/);

    /** `person` opens Approve… or Deny… on the part asking for `resource`, and decides it. */
    const decide = async (person: string, resource: string, how: 'approve' | 'deny') => {
      await actAs(person);
      const request = messages().locator('article', { hasText: 'INC-50' }).filter({ hasText: resource });
      const button = request.getByRole('button', { name: how === 'approve' ? 'Approve…' : 'Deny…' });
      await button.waitFor(WAIT);
      await button.click();
      const modal = dialog(how === 'approve' ? 'Approve access' : 'Deny access');
      // The dashboards flow asks its approvers to sign in again first (step-up, as in the first journeys).
      const signIn = messages().getByRole('button', { name: 'Sign in to approve' });
      await modal.or(signIn).first().waitFor(WAIT);
      if (await signIn.isVisible()) {
        expect(await steps.signInAtProvider(signIn, new RegExp(person))).toContain('Signed in as');
        await button.click();
      }
      if (how === 'deny') await modal.getByLabel(/Reason/).fill('Kubernetes is not needed for this one');
      await modal.getByRole('button', { name: how === 'approve' ? 'Approve' : 'Deny', exact: true }).click();
      await modal.waitFor({ state: 'detached', ...WAIT });
      // k8s-prod needs two approvals: the first is answered with "Approval recorded (1 of 2)"; nothing else.
      const after = page().locator('.modal');
      if ((await after.count()) > 0) {
        expect(await after.innerText()).toMatch(/Approval recorded[\s\S]*\(1 of 2\)/);
        await closeModals();
      }
      return request;
    };
    // prod-db: production's approvers (Alex approves); k8s-prod: two of ops (Alex approves, Dana denies, which
    // ends that part); grafana: the dashboards flow's ops, after signing in again (Dana approves).
    const prod = await decide('Alex Approver', 'prod-db', 'approve');
    expect(await prod.innerText()).toMatch(/Part of bundle incident-responder/);
    await shot('43-bundle-part-approver');
    await decide('Alex Approver', 'k8s-prod', 'approve');
    await decide('Dana Ops', 'k8s-prod', 'deny');
    const grafana = await decide('Dana Ops', 'grafana', 'approve');
    await grafana
      .getByText(/Approved by/)
      .first()
      .waitFor(WAIT);

    await actAs('Rita Requester');
    await expect.poll(async () => (await bundleDm.innerText()).match(/✅ ready|denied/g)?.length ?? 0, WAIT).toBe(3);
    const dm = await bundleDm.innerText();
    expect(dm).toMatch(/prod-db.*✅ ready/);
    expect(dm).toMatch(/k8s-prod.*❌ denied/);
    expect(dm).toMatch(/grafana.*✅ ready/);
    expect(dm).not.toMatch(/pending/);
    // Her own copy of each part comes up to date too (the grafana one last, after chat.update's pacing).
    const grafanaCopy = messages()
      .locator('article', { hasText: 'You requested access' })
      .filter({ hasText: 'grafana' });
    await grafanaCopy.getByText(/Approved by @Dana Ops/).waitFor(WAIT);
    await bundleDm.scrollIntoViewIfNeeded();
    await shot('44-bundle-dm-statuses');
    await pageIsClean();
  });
});
