import type { KnownBlock } from '@slack/types';
import { describeGrant } from '../../domain/policy.js';
import type { RequestDetails } from '../../domain/request.js';
import { userText } from '../mrkdwn.js';
import { context } from '../views.js';

/**
 * A bundle part's request says so (domain/bundle.ts): which bundle, how many of its parts this flow's
 * request holds, and the scope each part asks for, which no approval widens.
 */
export function bundleLines(r: Pick<RequestDetails, 'bundle' | 'resources'>): KnownBlock[] {
  const asked = r.resources.flatMap((x) => x.requested ?? []);
  if (!r.bundle && asked.length === 0) return [];
  const lines: string[] = [];
  if (r.bundle)
    lines.push(
      `:package: Part of bundle *${userText(r.bundle.name, 64)}* (${r.resources.length} of ${r.bundle.parts} parts in this flow's request)`,
    );
  if (asked.length)
    lines.push(
      `Asks for ${asked.map((g) => userText(describeGrant(g), 200)).join('; ')}: approvals narrow it, never widen it.`,
    );
  return [context(lines.join('\n'))];
}
