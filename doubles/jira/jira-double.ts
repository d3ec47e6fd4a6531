import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the one Jira Cloud call the bot makes, `GET /rest/api/3/issue/{key}`, answered as
 * Jira Cloud answers it: basic auth with an account e-mail and API token (a wrong token gets Jira's 401;
 * no credentials at all read as the anonymous user, who may see no issue: 404), the issue JSON with
 * `fields.summary` and `fields.status.statusCategory`, Jira's error JSON for an unknown key, a moved
 * issue answered under its new key, and switches for 429 (with Retry-After), 5xx and a slow site.
 */
export type StatusCategory = 'new' | 'indeterminate' | 'done';

export interface JiraIssue {
  key: string;
  summary: string;
  status: string;
  category: StatusCategory;
}

export interface JiraCall {
  method: string;
  path: string;
  /** Whether the request carried the right e-mail and token (neither is kept). */
  authorized: boolean;
  status: number;
}

export interface JiraDouble {
  url: string;
  calls: JiraCall[];
  /** Adds or replaces an issue (status names as a Jira workflow would call them: "To Do", "In Progress", "Done"). */
  putIssue(issue: JiraIssue): void;
  /** The issue moved to another project: the old key keeps answering with the new one (Jira's redirect). */
  moveIssue(oldKey: string, newKey: string): void;
  /** The next `n` calls answer 429 with Retry-After. */
  rateLimitNext(n: number): void;
  /** The next `n` calls answer `status` (a 5xx). */
  failNext(n: number, status?: number): void;
  /** Every call waits this long before answering (a slow or hanging site). */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

const CATEGORY_IDS: Record<StatusCategory, { id: number; colorName: string; name: string }> = {
  new: { id: 2, colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, colorName: 'green', name: 'Done' },
};

export async function startJiraDouble(options: {
  email: string;
  apiToken: string;
  issues?: JiraIssue[];
}): Promise<JiraDouble> {
  const issues = new Map<string, JiraIssue>();
  const moved = new Map<string, string>();
  const calls: JiraCall[] = [];
  let rateLimited = 0;
  let failing = 0;
  let failStatus = 503;
  let delay = 0;
  for (const i of options.issues ?? []) issues.set(i.key, i);
  const expected = `Basic ${Buffer.from(`${options.email}:${options.apiToken}`).toString('base64')}`;
  let base = '';

  const issueJson = (i: JiraIssue, id: number) => {
    const cat = CATEGORY_IDS[i.category];
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: String(10000 + id),
      self: `${base}/rest/api/3/issue/${10000 + id}`,
      key: i.key,
      fields: {
        summary: i.summary,
        status: {
          self: `${base}/rest/api/3/status/${10000 + id}`,
          description: '',
          iconUrl: `${base}/images/icons/statuses/generic.png`,
          name: i.status,
          id: String(10000 + id),
          statusCategory: {
            self: `${base}/rest/api/3/statuscategory/${cat.id}`,
            id: cat.id,
            key: i.category,
            colorName: cat.colorName,
            name: cat.name,
          },
        },
      },
    };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://jira.local');
    const header = req.headers.authorization;
    const authorized = header === expected;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method: req.method ?? 'GET', path: url.pathname, authorized, status });
      setTimeout(() => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, {
          'content-type': typeof body === 'string' ? 'text/plain;charset=UTF-8' : 'application/json;charset=UTF-8',
          ...headers,
        });
        res.end(text);
      }, delay);
    };
    if (rateLimited > 0) {
      rateLimited -= 1;
      return send(
        429,
        { errorMessages: ['Rate limit exceeded.'], errors: {} },
        { 'retry-after': '5', 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0' },
      );
    }
    if (failing > 0) {
      failing -= 1;
      return send(failStatus, { errorMessages: ['Internal server error'], errors: {} });
    }
    // Wrong credentials are refused outright; none at all are the anonymous user, who sees no issue.
    if (header && !authorized)
      return send(401, 'Client must be authenticated to access this resource.', {
        'www-authenticate': 'OAuth realm="https%3A%2F%2Fjira.local"',
      });
    const m = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return send(404, { errorMessages: ['null for uri: ' + url.pathname], errors: {} });
    const asked = decodeURIComponent(m[1]!);
    const key = moved.get(asked) ?? asked;
    const issue = authorized ? issues.get(key) : undefined;
    if (!issue)
      return send(404, {
        errorMessages: ['Issue does not exist or you do not have permission to see it.'],
        errors: {},
      });
    return send(200, issueJson(issue, [...issues.keys()].indexOf(key)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    calls,
    putIssue: (i) => void issues.set(i.key, i),
    moveIssue(oldKey, newKey) {
      const issue = issues.get(oldKey);
      if (!issue) throw new Error(`no issue ${oldKey}`);
      issues.delete(oldKey);
      issues.set(newKey, { ...issue, key: newKey });
      moved.set(oldKey, newKey);
    },
    rateLimitNext: (n) => void (rateLimited = n),
    failNext(n, status = 503) {
      failing = n;
      failStatus = status;
    },
    setDelay: (ms) => void (delay = ms),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
