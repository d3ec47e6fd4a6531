import { afterEach, describe, expect, it } from 'vitest';
import { oktaSdkState } from '../src/provisioners/okta/okta-client.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The Okta SDK takes seconds to import. A deployment with an Okta resource starts importing it at
 * start-up (in the background), so the first grant after an approval does not wait for it; one without
 * never loads it. The module is loaded once per process, so the test without Okta runs first.
 */
const withOkta = `
resources:
  - name: okta-admins
    type: group
    provisioner: { type: okta, org_url: "https://example.okta.com", group_id: 00g1234567890abcdefg, token: "env:ACCESS_SECRET_OKTA_TOKEN" }
flows:
  - name: okta
    resources: { names: [okta-admins] }
    requesters: { users: [${PEOPLE.requester}] }
    approvers: { users: [${PEOPLE.approver}] }
    max_duration: 8h
`;
const secretEnv = { ACCESS_SECRET_OKTA_TOKEN: '00okta-token-warm-up-test' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('the Okta SDK is loaded at start-up only where an Okta resource exists', () => {
  it('a catalogue without an Okta resource starts without loading the Okta SDK', async () => {
    h = await startHarness({ app: { secretEnv } });
    // start() has returned: any warm-up it was going to begin has begun.
    expect(oktaSdkState()).toBe('not loaded');
  });

  it('an Okta resource in ACCESS_CONFIG has the SDK loaded after start, before any grant', async () => {
    h = await startHarness({ accessFile: withOkta, app: { secretEnv } });
    expect(oktaSdkState()).not.toBe('not loaded');
    // The import runs in the background; waiting for it here is waiting for a condition, not a budget.
    await until(() => oktaSdkState() === 'loaded', 'the Okta SDK loaded');
    expect(await h.sql`select count(*)::int as n from grants`).toEqual([{ n: 0 }]);
  });
});
