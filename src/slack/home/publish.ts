import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from '../deps.js';
import { buildHomeView } from './home-view.js';
import { slackErrorCode } from '../slack-error.js';

/**
 * The hash of the last Home view this bot instance saw per user (from its own views.publish answers,
 * app_home_opened events and Home clicks). Keyed by the instance's deps, so two replicas in one process
 * keep their own, as two processes would.
 */
const seenHashes = new WeakMap<SlackDeps, Map<string, string>>();
const MAX_USERS = 10_000;
const HASH_ATTEMPTS = 3;

function hashesOf(deps: SlackDeps): Map<string, string> {
  let m = seenHashes.get(deps);
  if (!m) seenHashes.set(deps, (m = new Map()));
  return m;
}

/** Remember a Home view's hash seen in an event or a click payload. */
export function sawHome(deps: SlackDeps, userId: string, hash: unknown): void {
  if (typeof hash !== 'string' || hash === '') return;
  const m = hashesOf(deps);
  m.delete(userId);
  m.set(userId, hash);
  // Oldest first: a Map iterates in insertion order, so this drops the least recently seen user.
  if (m.size > MAX_USERS) m.delete(m.keys().next().value!);
}

const isHashConflict = (e: unknown) => slackErrorCode(e) === 'hash_conflict';

/**
 * Renders and publishes a person's Home, passing the hash of the view being replaced: when another
 * render landed in between (a click handled by another replica, a slow retry), Slack answers
 * `hash_conflict` instead of letting this older render replace the newer one, and we render again from
 * the current state. The last attempt goes without a hash: its render is the newest there is.
 * `opened`: the person just opened their Home (remembered, so later changes re-publish it).
 */
export async function publishHome(
  deps: SlackDeps,
  client: WebClient,
  userId: string,
  opts: { opened?: boolean } = {},
): Promise<void> {
  const hashes = hashesOf(deps);
  for (let attempt = 1; ; attempt++) {
    const model = await deps.home.model(userId, { opened: opts.opened === true && attempt === 1 });
    if (model.tab === 'mine' && deps.identity.configured()) {
      const link = await deps.identity.linkOf(userId);
      model.identity = { linked: link ? { email: link.email, provider: link.provider } : null };
    }
    const view = buildHomeView(model);
    const hash = attempt < HASH_ATTEMPTS ? hashes.get(userId) : undefined;
    try {
      const res = await client.views.publish({ user_id: userId, view, ...(hash ? { hash } : {}) });
      sawHome(deps, userId, res.view?.hash);
      return;
    } catch (error) {
      if (!isHashConflict(error) || attempt >= HASH_ATTEMPTS) throw error;
      // Whatever replaced the view is newer than what we knew; its hash is not in the answer.
      if (hashes.get(userId) === hash) hashes.delete(userId);
      deps.logger.debug({ slack_user: userId, attempt }, 'home changed since our last render; rendering again');
    }
  }
}
