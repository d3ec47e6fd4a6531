import type { KnownBlock } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { userText } from '../mrkdwn.js';
import { section } from '../views.js';

/**
 * A list of requests with the parts of each bundle pick together, where its first part came: a request of
 * its own is a group of one. Order is otherwise kept (active before pending before past, newest first).
 */
export function groupByBundle(list: readonly RequestDetails[]): RequestDetails[][] {
  const groups: RequestDetails[][] = [];
  const byPick = new Map<string, RequestDetails[]>();
  for (const r of list) {
    const pick = r.bundle?.id;
    const group = pick ? byPick.get(pick) : undefined;
    if (group) {
      group.push(r);
      continue;
    }
    groups.push([r]);
    if (pick) byPick.set(pick, groups.at(-1)!);
  }
  return groups;
}

/**
 * The requests' blocks, each bundle pick's parts under one heading with its name: one block more per pick,
 * at most `headings` of them (Slack's 100 blocks; past that, each part still names its bundle in its line).
 */
export function bundleGroupedBlocks(
  list: readonly RequestDetails[],
  render: (r: RequestDetails) => KnownBlock[],
  headings: number,
): KnownBlock[] {
  let left = headings;
  return groupByBundle(list).flatMap((group) => {
    const bundle = group[0]!.bundle;
    const heading = bundle && left-- > 0 ? [section(`:package: *${userText(bundle.name, 64)}*`)] : [];
    return [...heading, ...group.flatMap(render)];
  });
}
