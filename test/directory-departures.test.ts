import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../doubles/slack/fake-slack.js';
import { createSlackDirectory } from '../src/slack/directory.js';
import { BOT_TOKEN } from './support/harness.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS } from '../doubles/support/until.js';

/** The directory against the Slack double: what it answers once Slack says a person or a group is gone. */
let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start({
    ...SLACK_DEADLINES_AS_HANG_GUARDS,
    botToken: BOT_TOKEN,
    users: [
      { id: 'U0STAY', name: 'stay' },
      { id: 'U0LEAVE', name: 'leave' },
    ],
    usergroups: [
      { id: 'S0OPS', handle: 'ops', name: 'Ops', users: ['U0STAY'] },
      { id: 'S0DEV', handle: 'dev', name: 'Dev', users: ['U0STAY'] },
    ],
  });
});
afterAll(async () => {
  await slack?.stop();
});
const fresh = () =>
  createSlackDirectory(new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }));

describe('the directory when people and groups leave', () => {
  it('answers a person from its cache until told the person changed, then asks Slack', async () => {
    const directory = fresh();
    expect((await directory.person('U0LEAVE')).deleted).toBe(false);
    slack.deactivateUser('U0LEAVE');
    expect((await directory.person('U0LEAVE')).deleted).toBe(false); // cached: a minute behind Slack
    expect((await directory.person('U0LEAVE', { fresh: true })).deleted).toBe(true);
    const other = fresh();
    expect((await other.person('U0STAY')).deleted).toBe(false);
    slack.updateUser('U0STAY', { deleted: true });
    other.personChanged('U0STAY');
    expect((await other.person('U0STAY')).deleted).toBe(true);
  });

  it('a disabled group has no members, and the group list marks it', async () => {
    const directory = fresh();
    slack.disableUsergroup('S0DEV');
    expect(await directory.groupMembers('S0DEV')).toEqual([]);
    expect(await directory.groupMembers('S0OPS')).toEqual(['U0STAY']);
    expect(await directory.groups()).toEqual([
      { id: 'S0OPS', handle: 'ops', name: 'Ops' },
      { id: 'S0DEV', handle: 'dev', name: 'Dev', disabled: true },
    ]);
  });
});
