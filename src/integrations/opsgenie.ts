import { z } from 'zod';
import type { OnCallAnswer } from '../domain/on-call.js';
import { getOnCallJson, type WarnLogger } from './on-call-http.js';

/**
 * Opsgenie Schedule API, read-only: `GET /v2/schedules/{name-or-id}/on-calls?flat=true&date=…` gives
 * the e-mails of whoever is on call at that instant (level 1). Opsgenie has no escalation levels in a
 * schedule's on-call answer, so the next layer is `next-on-calls` (who takes over next): escalation asks it
 * for level 2 (docs/on-call.md). An API integration key with Read access is enough.
 */
const OnCallsSchema = z.object({
  data: z.object({
    _parent: z.object({ id: z.string(), name: z.string(), enabled: z.boolean().optional() }),
    onCallRecipients: z.array(z.string()).default([]),
  }),
});
const NextOnCallsSchema = z.object({
  data: z.object({
    _parent: z.object({ id: z.string(), name: z.string() }),
    exactNextOnCallRecipients: z.array(z.string()).default([]),
  }),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OpsgenieClientOptions {
  url: string;
  apiKey: string;
  timeoutMs?: number;
  logger?: WarnLogger;
  fetch?: typeof fetch;
}

export function createOpsgenieClient(o: OpsgenieClientOptions) {
  const base = o.url.replace(/\/+$/, '');
  const http = {
    service: 'opsgenie' as const,
    headers: { Authorization: `GenieKey ${o.apiKey}` },
    timeoutMs: o.timeoutMs ?? 2000,
    logger: o.logger,
    fetch: o.fetch,
  };
  const query = (schedule: string, at: Date) =>
    new URLSearchParams({
      scheduleIdentifierType: UUID.test(schedule) ? 'id' : 'name',
      flat: 'true',
      date: at.toISOString(),
    }).toString();

  async function whoIsOnCall(ref: { schedule: string }, at: Date): Promise<OnCallAnswer> {
    const path = encodeURIComponent(ref.schedule);
    // Both at once: the lookup's budget covers them together, not one after the other.
    const [now, next] = await Promise.all([
      getOnCallJson(`${base}/v2/schedules/${path}/on-calls?${query(ref.schedule, at)}`, http),
      getOnCallJson(`${base}/v2/schedules/${path}/next-on-calls?${query(ref.schedule, at)}`, http),
    ]);
    if (!now.ok) return now;
    const parsed = OnCallsSchema.safeParse(now.body);
    if (!parsed.success) return { ok: false, reason: 'Opsgenie answered in a shape this bot does not know' };
    const name = parsed.data.data._parent.name;
    const nextParsed = next.ok ? NextOnCallsSchema.safeParse(next.body) : null;
    // The next layer is a nicety for escalation; without it the current on-call answer still stands.
    const following = nextParsed?.success ? nextParsed.data.data.exactNextOnCallRecipients : [];
    return {
      ok: true,
      people: [
        ...parsed.data.data.onCallRecipients.map((email) => ({ email, level: 1, scheduleName: name })),
        ...following.map((email) => ({ email, level: 2, scheduleName: name, next: true })),
      ],
    };
  }

  return { whoIsOnCall };
}

export type OpsgenieClient = ReturnType<typeof createOpsgenieClient>;
