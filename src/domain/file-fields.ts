import { z } from 'zod';
import { parseDuration } from './duration.js';

/** Field types the ACCESS_CONFIG file shares between its sections (Slack ids, durations). */
export const SlackUser = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U012ABCDEF');
export const SlackGroup = z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user-group id like S012ABCDEF');
export const SlackChannel = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id like C012ABCDEF');
export const DurationText = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const minutes = parseDuration(String(v));
  if (minutes === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration like 30m, 8h or 1d' });
    return z.NEVER;
  }
  return minutes;
});

export const People = z.strictObject({
  users: z.array(SlackUser).default([]),
  groups: z.array(SlackGroup).default([]),
});

/** 30 -> "30m", 120 -> "2h", 1440 -> "1d": the shortest form parseDuration reads back. */
export const minutesText = (m: number) => (m % 1440 === 0 ? `${m / 1440}d` : m % 60 === 0 ? `${m / 60}h` : `${m}m`);
