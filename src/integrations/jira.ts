import type { Logger } from 'pino';
import type { TicketLookup } from '../domain/ticket.js';
import type { TicketTracker } from '../services/ports.js';
import { getOutsideJson } from './outside-get.js';

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
      const answer = await getOutsideJson(url, {
        headers: { authorization, accept: 'application/json' },
        timeoutMs: settings.timeoutMs ?? 1500,
      });
      if (answer.kind === 'unreachable') {
        const detail =
          answer.why === 'timeout'
            ? 'Jira did not answer in time'
            : answer.why === 'network'
              ? 'Jira could not be reached'
              : 'Jira answered something that is not an issue';
        logger.warn({ ticket: key }, `ticket check: ${detail}`);
        return unavailable(key, detail);
      }
      if (answer.kind === 'status') {
        const status = answer.status;
        if (status === 404) return { found: false, key, reason: 'missing' };
        const refused = status === 401 || status === 403;
        const detail = refused
          ? `Jira refused the bot's credentials (${status})`
          : status === 429
            ? 'Jira is rate-limiting the bot (429)'
            : `Jira answered ${status}`;
        (refused ? logger.error.bind(logger) : logger.warn.bind(logger))(
          { ticket: key, status },
          `ticket check: ${detail}`,
        );
        return unavailable(key, detail);
      }
      const body = answer.body as IssueBody | null;
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
