import { refKey, type OnCallAnswer, type OnCallRef } from '../domain/on-call.js';
import type { OnCallDirectory } from '../services/ports.js';
import type { OpsgenieClient } from './opsgenie.js';
import type { PagerDutyClient } from './pagerduty.js';

/**
 * The OnCallDirectory port over the configured clients. Answers are cached per reference and minute
 * for `ttlMs`, and simultaneous asks share one call, so a request (and its messages' re-renders, which
 * never ask) costs one lookup. Failures are not cached: the next request asks again.
 */
export function createOnCallDirectory(
  clients: { pagerduty?: PagerDutyClient | null; opsgenie?: OpsgenieClient | null },
  opts: { ttlMs?: number; now?: () => number } = {},
): OnCallDirectory {
  const ttlMs = opts.ttlMs ?? 60_000;
  const now = opts.now ?? (() => Date.now());
  const cache = new Map<string, { until: number; answer: Promise<OnCallAnswer> }>();

  function ask(ref: OnCallRef, at: Date): Promise<OnCallAnswer> {
    if (ref.service === 'pagerduty') {
      return clients.pagerduty
        ? clients.pagerduty.whoIsOnCall(ref, at)
        : Promise.resolve({ ok: false, reason: 'PAGERDUTY_API_TOKEN is not set' });
    }
    return clients.opsgenie
      ? clients.opsgenie.whoIsOnCall(ref, at)
      : Promise.resolve({ ok: false, reason: 'OPSGENIE_API_KEY is not set' });
  }

  return {
    configured: (service) => Boolean(clients[service]),
    whoIsOnCall(ref, at) {
      const key = `${refKey(ref)}|${Math.floor(at.getTime() / 60_000)}`;
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.answer;
      if (cache.size > 500) for (const [k, v] of cache) if (v.until <= now()) cache.delete(k);
      const answer = ask(ref, at).then((a) => {
        if (!a.ok) cache.delete(key);
        return a;
      });
      cache.set(key, { until: now() + ttlMs, answer });
      return answer;
    },
  };
}
