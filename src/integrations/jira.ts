import type { Logger } from 'pino';
import type { TicketLookup } from '../domain/ticket.js';
import type { TicketTracker } from '../services/ports.js';

export interface JiraSettings {
  /** The site, e.g. https://acme.atlassian.net (the double's URL in tests). */
  baseUrl: string;
  email: string;
  apiToken: string;
  /**
   * Slack waits 3 s for a form's answer and the lookup is part of it: past this, Jira counts as unreachable
   * and the request goes on with a warning rather than the form failing.
   */
  timeoutMs?: number;
}

interface IssueBody {
  key?: string;
  fields?: { summary?: string; status?: { name?: string; statusCategory?: { key?: string } } };
}

const ISSUE_KEY = /^[A-Z][A-Z0-9_]{0,9}-[1-9][0-9]{0,8}$/;
const CATEGORIES = new Set(['new', 'indeterminate', 'done', 'undefined']);

/**
 * Jira Cloud REST API v3, `GET /rest/api/3/issue/{key}?fields=summary,status`, with basic auth (account
 * e-mail + API token: Atlassian's documented scheme for scripts). 404 means the issue does not exist or
 * the account may not see it (Jira does not say which); 401/403 mean the credentials are wrong, which is
 * the operator's problem, not the requester's, so they count as unreachable and are logged.
 */
export function jiraTracker(settings: JiraSettings, logger: Logger): TicketTracker {
  const base = settings.baseUrl.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${settings.email}:${settings.apiToken}`).toString('base64')}`;
  const unavailable = (key: string, detail: string): TicketLookup => ({
    found: false,
    key,
    reason: 'unavailable',
    detail,
  });

  return {
    async lookup(key) {
      const url = `${base}/rest/api/3/issue/${encodeURIComponent(key)}?fields=summary,status`;
      let res: Response;
      try {
        res = await fetch(url, {
          headers: { authorization, accept: 'application/json' },
          signal: AbortSignal.timeout(settings.timeoutMs ?? 1500),
        });
      } catch (error) {
        const detail =
          (error as Error).name === 'TimeoutError' ? 'Jira did not answer in time' : 'Jira could not be reached';
        logger.warn({ ticket: key, err: { message: (error as Error).message } }, `ticket check: ${detail}`);
        return unavailable(key, detail);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return { found: false, key, reason: 'missing' };
      }
      if (!res.ok) {
        await res.body?.cancel();
        const detail =
          res.status === 401 || res.status === 403
            ? `Jira refused the bot's credentials (${res.status})`
            : res.status === 429
              ? 'Jira is rate-limiting the bot (429)'
              : `Jira answered ${res.status}`;
        (res.status === 401 || res.status === 403 ? logger.error.bind(logger) : logger.warn.bind(logger))(
          { ticket: key, status: res.status },
          `ticket check: ${detail}`,
        );
        return unavailable(key, detail);
      }
      const body = (await res.json().catch(() => null)) as IssueBody | null;
      const category = body?.fields?.status?.statusCategory?.key ?? 'undefined';
      if (!body?.key || !ISSUE_KEY.test(body.key) || !body.fields?.status?.name)
        return unavailable(key, 'Jira answered something that is not an issue');
      return {
        found: true,
        // Jira redirects a moved issue's old key to its new one: report the key it has now.
        key: body.key,
        title: body.fields.summary ?? '',
        status: body.fields.status.name,
        category: (CATEGORIES.has(category) ? category : 'undefined') as 'new' | 'indeterminate' | 'done' | 'undefined',
        url: `${base}/browse/${body.key}`,
      };
    },
  };
}
