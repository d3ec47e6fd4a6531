import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { approve, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';
import { launchChromium, requireChromium, WAIT } from './support/chromium.js';

/**
 * The full audit record in a real headless Chromium (Debian's package, installed by .ci/run): the page
 * renders the trail and the session, and the terminal recording replays with asciinema-player.
 * Without Chromium this fails rather than skips.
 */
const SHOTS = fileURLToPath(new URL('../test-artifacts/audit/', import.meta.url));

const cast = [
  JSON.stringify({
    version: 2,
    width: 80,
    height: 24,
    timestamp: 1767225600,
    env: { SHELL: '/bin/bash', TERM: 'xterm-256color' },
  }),
  JSON.stringify([0.1, 'o', 'rita@web-1:~$ ']),
  JSON.stringify([0.4, 'o', 'sudo systemctl restart payments\r\n']),
  JSON.stringify([0.8, 'o', 'REPLAY-MARKER payments restarted\r\n']),
  JSON.stringify([1.2, 'o', 'rita@web-1:~$ exit\r\n']),
].join('\n');

let h: Harness;
let context: BrowserContext;
let profile: string;
let id: string;

beforeAll(async () => {
  requireChromium();
  mkdirSync(SHOTS, { recursive: true });
  h = await startHarness();
  [id] = (await requestAccess(h, PEOPLE.requester, {
    resources: ['web-1'],
    duration: '60',
    justification: 'INC-90 restart payments',
  })) as [string];
  await approve(h, PEOPLE.approver, id, { 'tune.login.web-1': 'rita' });
  const { token } = await h.app.services.apiKeys!.create(PEOPLE.admin, 'bastion');
  const started = new Date(h.clock.now().getTime() + 60_000);
  const res = await fetch(`http://127.0.0.1:${h.port}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      user: PEOPLE.requester,
      resource: 'web-1',
      started_at: started.toISOString(),
      ended_at: new Date(started.getTime() + 2000).toISOString(),
      client_address: '10.0.0.7',
      events: [
        {
          at: new Date(started.getTime() + 400).toISOString(),
          type: 'command',
          text: 'sudo systemctl restart payments',
        },
      ],
      recording: cast,
    }),
  });
  if (res.status !== 201) throw new Error(`session report failed: ${res.status} ${await res.text()}`);
  profile = mkdtempSync(join(tmpdir(), 'audit-chromium-'));
  context = await launchChromium(profile, { width: 1280, height: 900 });
});

afterAll(async () => {
  await context?.close();
  await h?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the full audit record in a browser', () => {
  it('renders every step and the session, and the recording plays', async () => {
    await h.driver.command(PEOPLE.approver, '/access', `audit ${id}`);
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'audit modal');
    expect(JSON.stringify(modal.view.blocks)).toContain('Sessions (1)');
    const link = new URL(modal.view.blocks.find((b: any) => b.block_id === 'audit.actions').elements[0].url as string);
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => errors.push(`console ${m.type()}: ${m.text()}`));
    await page.goto(`http://127.0.0.1:${h.port}${link.pathname}${link.search}`, WAIT);
    await expect(page.locator('h1')).toBeDefined();
    expect(await page.locator('h1').innerText()).toContain(id);
    const trail = await page.locator('table.trail').innerText();
    expect(trail).toContain('request.created');
    expect(trail).toContain('request.approved');
    expect(trail).toContain('session.recorded');
    expect(await page.locator('table.events').innerText(WAIT)).toContain('sudo systemctl restart payments');

    // The player loads the recording from the bot and plays it: the terminal shows the recorded output.
    await page
      .locator('.ap-player')
      .waitFor(WAIT)
      .catch(async (e) => {
        throw new Error(`${e.message}\n${errors.join('\n')}\n${(await page.content()).slice(-1500)}`);
      });
    await page.evaluate(() => void (window as unknown as { players: { play(): Promise<void> }[] }).players[0]!.play());
    await page.waitForFunction(
      () => document.querySelector('.ap-term')?.textContent?.includes('REPLAY-MARKER'),
      undefined,
      WAIT,
    );
    await page.screenshot({ path: join(SHOTS, 'audit-record.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
