/**
 * Slack's per-method rate limits (api.slack.com/apis/rate-limits): each Web API method belongs to a
 * tier, counted per workspace and method, with chat.postMessage limited per channel instead. Slack
 * "allows bursts" above the per-minute figure for a moment; a token bucket holding one minute's
 * allowance and refilling continuously behaves that way. Off by default: the double's other users
 * (the suite, the sandbox) do not think about budgets; a test turns it on to see the bot under them.
 */
export type Tier = 1 | 2 | 3 | 4 | 'post';

/** Calls per minute of each tier (Slack's documented figures; `post` is chat.postMessage's 1 per second). */
export const TIER_PER_MINUTE: Record<Tier, number> = { 1: 1, 2: 20, 3: 50, 4: 100, post: 60 };

/**
 * The tier of each method the double serves, from Slack's method pages. A method with no entry is
 * not limited. chat.postMessage is "special": about one message a second per channel, short bursts allowed.
 */
export const METHOD_TIERS: Record<string, Tier> = {
  'auth.test': 4,
  'chat.postMessage': 'post',
  'chat.update': 3,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'chat.getPermalink': 4,
  'conversations.open': 3,
  'users.info': 4,
  'users.list': 2,
  'users.lookupByEmail': 3,
  'users.profile.get': 4,
  'team.profile.get': 3,
  'usergroups.list': 2,
  'usergroups.users.list': 2,
  'views.open': 4,
  'views.push': 4,
  'views.update': 4,
  'views.publish': 4,
};

/** A burst chat.postMessage allows in one channel before the 1-per-second pace applies. */
const POST_BURST = 5;

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /**
   * Takes one call's worth from the method's bucket: null when allowed, else the seconds to wait
   * (Slack's `Retry-After`, whole seconds, at least 1).
   */
  take(method: string, args: Record<string, unknown>): number | null {
    const tier = METHOD_TIERS[method];
    if (tier === undefined) return null;
    const perMinute = TIER_PER_MINUTE[tier];
    const capacity = tier === 'post' ? POST_BURST : perMinute;
    const key = tier === 'post' ? `${method}:${String(args.channel ?? '')}` : method;
    const now = this.now();
    const perMs = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }
}
