import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraTracker } from '../../src/integrations/jira.js';
import { startJiraDouble, type JiraDouble } from './jira-double.js';

const EMAIL = 'access-bot@example.com';
const TOKEN = 'ATATT3xFfGF0-test-token';
let jira: JiraDouble;

beforeAll(async () => {
  jira = await startJiraDouble({
    email: EMAIL,
    apiToken: TOKEN,
    issues: [
      { key: 'INC-7', summary: 'Checkout returns 500 for EU cards', status: 'In Progress', category: 'indeterminate' },
      { key: 'OPS-2', summary: 'Rotate the replica certificates', status: 'Closed', category: 'done' },
    ],
  });
});
afterAll(() => jira?.stop());

const logs: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'info' },
  { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
);
const tracker = (token = TOKEN, timeoutMs?: number) =>
  jiraTracker({ baseUrl: jira.url, email: EMAIL, apiToken: token, timeoutMs }, logger);

describe('the Jira Cloud client against the Jira double', () => {
  it('reads an open issue: title, status and its category, with a browse link', async () => {
    expect(await tracker().lookup('INC-7')).toEqual({
      found: true,
      key: 'INC-7',
      title: 'Checkout returns 500 for EU cards',
      status: 'In Progress',
      category: 'indeterminate',
      url: `${jira.url}/browse/INC-7`,
    });
    expect(jira.calls.at(-1)).toMatchObject({
      method: 'GET',
      path: '/rest/api/3/issue/INC-7',
      authorized: true,
      status: 200,
    });
  });

  it('reads a done issue as done, whatever its workflow calls the status', async () => {
    expect(await tracker().lookup('OPS-2')).toMatchObject({ found: true, status: 'Closed', category: 'done' });
  });

  it('an unknown key is missing', async () => {
    expect(await tracker().lookup('INC-404')).toEqual({ found: false, key: 'INC-404', reason: 'missing' });
  });

  it('a moved issue answers under its new key', async () => {
    jira.putIssue({ key: 'OPS-9', summary: 'Disk full on db-3', status: 'To Do', category: 'new' });
    jira.moveIssue('OPS-9', 'INC-90');
    expect(await tracker().lookup('OPS-9')).toMatchObject({
      found: true,
      key: 'INC-90',
      url: `${jira.url}/browse/INC-90`,
    });
  });

  it('a wrong token is unreachable (logged as an error without the token), not "missing"', async () => {
    logs.length = 0;
    expect(await tracker('wrong-token').lookup('INC-7')).toEqual({
      found: false,
      key: 'INC-7',
      reason: 'unavailable',
      detail: "Jira refused the bot's credentials (401)",
    });
    expect(logs.some((l) => l.level === 50 && String(l.msg).includes('credentials'))).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('wrong-token');
  });

  it('429, 5xx and a site that does not answer in time are unreachable', async () => {
    jira.rateLimitNext(1);
    expect(await tracker().lookup('INC-7')).toMatchObject({
      reason: 'unavailable',
      detail: 'Jira is rate-limiting the bot (429)',
    });
    jira.failNext(1, 502);
    expect(await tracker().lookup('INC-7')).toMatchObject({ reason: 'unavailable', detail: 'Jira answered 502' });
    jira.setDelay(400);
    try {
      expect(await tracker(TOKEN, 100).lookup('INC-7')).toMatchObject({
        reason: 'unavailable',
        detail: 'Jira did not answer in time',
      });
    } finally {
      jira.setDelay(0);
    }
    expect(await tracker().lookup('INC-7')).toMatchObject({ found: true });
  });

  it('the double, asked without credentials, answers as the anonymous user: no issue is visible', async () => {
    const res = await fetch(`${jira.url}/rest/api/3/issue/INC-7`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      errorMessages: ['Issue does not exist or you do not have permission to see it.'],
      errors: {},
    });
  });
});
