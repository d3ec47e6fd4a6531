import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { HANG_GUARD_MS } from '../../doubles/support/until.js';

/**
 * Debian's Chromium (.ci/run installs it) and the flags every browser test launches it with: headless,
 * no sandbox (CI runs as root), and nothing that reaches out to the network on its own.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Playwright waits as `until` does: for what the step needs, with the hang guard as the only clock. */
export const WAIT = { timeout: HANG_GUARD_MS };

/**
 * A fresh persistent context of Debian's Chromium whose every action and wait (clicks, navigations,
 * `waitFor`) has the hang guard as its timeout, instead of Playwright's 30 s default.
 */
export async function launchChromium(profile: string, viewport: { width: number; height: number }) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  context.setDefaultTimeout(HANG_GUARD_MS);
  context.setDefaultNavigationTimeout(HANG_GUARD_MS);
  return context;
}

/** A browser test fails, never skips, without Chromium: a journey that skips proves nothing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Install Debian's package (apt-get install chromium); .ci/run does this as root. This test fails rather than skips.`,
    );
}
