import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { launchChromium, requireChromium, WAIT } from './chromium.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS } from '../../doubles/support/until.js';

/**
 * The sandbox page in a real headless Chromium (Debian's package; .ci/run installs it), for browser journeys
 * that click through it the way a visitor would. Without Chromium this fails: a journey that skips proves nothing.
 */
export const SHOTS = fileURLToPath(new URL('../../test-artifacts/sandbox/', import.meta.url));
export { WAIT };
/** Emoji shortcodes (`:robot_face:`) left as text: Slack draws the ones it knows. */
export const SHORTCODE = /:[a-z][a-z0-9_+-]*:/;

export interface SandboxPage {
  sandbox: Sandbox;
  context: BrowserContext;
  page: Page;
  /** What the page threw (a journey ends expecting none). */
  pageErrors: string[];
  stop(): Promise<void>;
}

export async function openSandboxPage(): Promise<SandboxPage> {
  requireChromium();
  mkdirSync(SHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-data-'));
  const profile = mkdtempSync(join(tmpdir(), 'sandbox-chromium-'));
  const sandbox = await startSandbox({
    slackDeadlines: SLACK_DEADLINES_AS_HANG_GUARDS,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  });
  // A fresh profile every run: nothing cached or remembered from an earlier run.
  const context = await launchChromium(profile, { width: 1280, height: 860 });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(sandbox.url);
  return {
    sandbox,
    context,
    page,
    pageErrors,
    stop: async () => {
      await context.close();
      await sandbox.stop();
      for (const d of [dataDir, profile]) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The steps a visitor takes on the page: who they are, what they type and pick. */
export function pageSteps(page: Page, context?: BrowserContext, pageErrors: string[] = []) {
  const dialog = (title: string) => page.getByRole('dialog', { name: title });
  const messages = () => page.locator('#messages');
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const command = async (text: string) => {
    const box = page.getByRole('textbox', { name: 'Message access-bot' });
    await box.fill(text);
    await box.press('Enter');
  };
  const actAs = async (name: string) => {
    await page.getByRole('button', { name, exact: true }).click();
    await page.locator('.me strong', { hasText: name }).waitFor(WAIT);
    await page.getByRole('tab', { name: 'Messages' }).click();
  };
  /** Closes what a journey that failed midway left open, so the next one starts from the conversation. */
  const closeModals = async () => {
    const open = page.locator('.modal-overlay .modal header button.x');
    while ((await open.count()) > 0) {
      const view = await page.locator('.modal').first().getAttribute('data-view-id');
      await open.first().click();
      await page.locator(`.modal[data-view-id="${view}"]`).waitFor({ state: 'detached', ...WAIT });
    }
  };
  const pick = async (locator: Locator, value: string | string[]) => {
    await locator.waitFor(WAIT);
    await locator.selectOption(value);
  };
  /**
   * A pick in an element with dispatch_action: the bot draws the form again (Slack keeps what was entered),
   * so wait for the form drawn before the pick to go before touching the new one.
   */
  const pickAndRedraw = async (form: Locator, field: Locator, value: string | string[]) => {
    const drawn = await form.elementHandle(WAIT);
    await pick(field, value);
    await drawn!.waitForElementState('hidden', WAIT);
  };
  /**
   * Clicks a link button in a message (Slack opens its URL in the browser), and at the identity provider's page
   * checks who is picked already, signs in with MFA and returns the page the bot shows afterwards.
   */
  const signInAtProvider = async (button: Locator, expectedPerson: RegExp): Promise<string> => {
    if (!context) throw new Error('signInAtProvider needs the browser context');
    const [popup] = await Promise.all([context.waitForEvent('page', WAIT), button.click()]);
    popup.on('pageerror', (e) => pageErrors.push(e.message));
    await popup.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    if (!(await popup.getByRole('radio', { name: expectedPerson }).isChecked()))
      throw new Error(`the provider's page did not pick ${expectedPerson}`);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await popup.waitForURL(/\/oidc\/callback/, WAIT);
    const text = await popup.locator('body').innerText();
    await popup.close();
    return text;
  };
  return { dialog, messages, shot, command, actAs, closeModals, pick, pickAndRedraw, signInAtProvider };
}
