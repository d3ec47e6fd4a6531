import { z } from 'zod';
import type { OnCallAnswer, OnCallPerson } from '../domain/on-call.js';
import { getOnCallJson, type WarnLogger } from './on-call-http.js';

/**
 * PagerDuty REST API v2, read-only: `GET /oncalls` for a schedule or an escalation policy at one
 * instant, with the users included (their e-mail maps them to Slack). A read-only REST API key is
 * enough (docs/on-call.md). Pages with offset while PagerDuty says `more`.
 */
const OncallsPageSchema = z.object({
  oncalls: z.array(
    z.object({
      user: z.object({ id: z.string(), summary: z.string().optional(), email: z.string().optional() }),
      schedule: z.object({ id: z.string(), summary: z.string().optional() }).nullable().optional(),
      escalation_policy: z.object({ id: z.string(), summary: z.string().optional() }),
      escalation_level: z.number().int(),
    }),
  ),
  limit: z.number().optional(),
  offset: z.number().optional(),
  more: z.boolean().optional(),
});

export interface PagerDutyClientOptions {
  url: string;
  token: string;
  timeoutMs?: number;
  logger?: WarnLogger;
  fetch?: typeof fetch;
}

/** Enough pages for any real schedule; a runaway `more` stops here. */
const MAX_PAGES = 10;

export function createPagerDutyClient(o: PagerDutyClientOptions) {
  const base = o.url.replace(/\/+$/, '');
  const http = {
    service: 'pagerduty' as const,
    headers: { Authorization: `Token token=${o.token}`, Accept: 'application/vnd.pagerduty+json;version=2' },
    timeoutMs: o.timeoutMs ?? 2000,
    logger: o.logger,
    fetch: o.fetch,
  };

  async function whoIsOnCall(
    ref: { schedule?: string | undefined; escalationPolicy?: string | undefined },
    at: Date,
  ): Promise<OnCallAnswer> {
    const people = new Map<string, OnCallPerson>();
    for (let page = 0, offset = 0; page < MAX_PAGES; page++) {
      const q = new URLSearchParams();
      if (ref.schedule) q.append('schedule_ids[]', ref.schedule);
      if (ref.escalationPolicy) q.append('escalation_policy_ids[]', ref.escalationPolicy);
      // One instant: since = until would be refused; PagerDuty answers who is on call during [since, until].
      q.set('since', at.toISOString());
      q.set('until', new Date(at.getTime() + 1000).toISOString());
      q.append('include[]', 'users');
      q.set('limit', '100');
      q.set('offset', String(offset));
      const answer = await getOnCallJson(`${base}/oncalls?${q.toString()}`, http);
      if (!answer.ok) return answer;
      const parsed = OncallsPageSchema.safeParse(answer.body);
      if (!parsed.success) return { ok: false, reason: 'PagerDuty answered in a shape this bot does not know' };
      for (const oc of parsed.data.oncalls) {
        if (!oc.user.email) continue;
        const scheduleName =
          oc.schedule?.summary ?? oc.escalation_policy.summary ?? ref.schedule ?? ref.escalationPolicy ?? '';
        // Asked by schedule, the level is that of whichever escalation policy uses it: whoever the schedule
        // has now is its first level. Levels come from escalation policies (docs/on-call.md).
        const level = ref.escalationPolicy ? oc.escalation_level : 1;
        const key = `${oc.user.email.toLowerCase()}|${level}`;
        if (!people.has(key)) people.set(key, { email: oc.user.email, level, scheduleName });
      }
      if (!parsed.data.more) break;
      offset += parsed.data.oncalls.length || 100;
    }
    return { ok: true, people: [...people.values()].sort((a, b) => a.level - b.level) };
  }

  return { whoIsOnCall };
}

export type PagerDutyClient = ReturnType<typeof createPagerDutyClient>;
