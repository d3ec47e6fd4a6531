import { isEmail } from '../domain/manager.js';
import type { Directory, ManagerAnswer, ManagerDirectory } from '../services/ports.js';

/**
 * The access file's `managers:` mapping as a directory. Either side may be a Slack id or an e-mail: the
 * requester's e-mail is their Slack profile's, and a manager's e-mail is matched to a Slack user through
 * the directory (users.lookupByEmail, cached); an e-mail nobody has is said, and the fallback asked.
 */
export function mappedManagers(
  mapping: Readonly<Record<string, string>>,
  directory: Pick<Directory, 'person' | 'userIdByEmail'>,
): ManagerDirectory {
  const byKey = new Map(Object.entries(mapping).map(([k, v]) => [isEmail(k) ? k.toLowerCase() : k, v]));
  const byEmail = [...byKey.keys()].some(isEmail);
  const none: ManagerAnswer = { slackId: null, source: 'access file' };
  return {
    async managerOf(userId) {
      let manager = byKey.get(userId);
      if (manager === undefined && byEmail) {
        const email = (await directory.person(userId)).email;
        if (email) manager = byKey.get(email.toLowerCase());
      }
      if (manager === undefined) return none;
      if (!isEmail(manager)) return { slackId: manager, source: 'access file' };
      const slackId = (await directory.userIdByEmail?.(manager).catch(() => null)) ?? null;
      return slackId ? { slackId, source: 'access file' } : { ...none, unknownEmail: manager };
    },
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

/**
 * The first source that knows the requester's manager: the file's mapping before the identity providers.
 * When none does, the first answer with something to say (a failure, an unknown e-mail), else the last.
 */
export function firstManagerOf(sources: readonly ManagerDirectory[]): ManagerDirectory | undefined {
  if (sources.length <= 1) return sources[0];
  return {
    async managerOf(userId) {
      const answers: ManagerAnswer[] = [];
      for (const source of sources) {
        const answer = await source.managerOf(userId);
        if (answer.slackId) return answer;
        answers.push(answer);
      }
      return answers.find((a) => a.failure || a.unknownEmail) ?? answers.at(-1)!;
    },
  };
}
