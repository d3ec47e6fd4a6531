import type { ManagerAnswer, ManagerDirectory } from '../services/ports.js';

/** The access file's `managers:` mapping (Slack id -> Slack id) as a directory. */
export function mappedManagers(mapping: Readonly<Record<string, string>>): ManagerDirectory {
  return {
    managerOf: (userId) => Promise.resolve({ slackId: mapping[userId] ?? null, source: 'access file' }),
  };
}

/** Ten minutes: a burst of requests asks the identity provider once per requester. */
export const MANAGER_CACHE_MS = 10 * 60_000;

/**
 * Remembers each answer for `ttlMs` (in process), so a burst of requests does not ask the provider each
 * time. Failures are not remembered: the next request asks again.
 */
export function cachedManagers(inner: ManagerDirectory, now: () => number, ttlMs = MANAGER_CACHE_MS): ManagerDirectory {
  const answers = new Map<string, { at: number; answer: Promise<ManagerAnswer> }>();
  return {
    managerOf(userId) {
      const hit = answers.get(userId);
      if (hit && now() - hit.at < ttlMs) return hit.answer;
      const answer = inner.managerOf(userId);
      answers.set(userId, { at: now(), answer });
      void answer.then(
        (a) => (a.failure ? answers.delete(userId) : undefined),
        () => answers.delete(userId),
      );
      return answer;
    },
  };
}

/** The first source that knows the requester's manager: the file's mapping before the identity provider. */
export function firstManagerOf(sources: readonly ManagerDirectory[]): ManagerDirectory | undefined {
  if (sources.length <= 1) return sources[0];
  return {
    async managerOf(userId) {
      let last: ManagerAnswer | undefined;
      for (const source of sources) {
        last = await source.managerOf(userId);
        if (last.slackId) return last;
      }
      return last!;
    },
  };
}
