import type { HomeView, KnownBlock } from '@slack/types';
import type { RequestDetails } from '../../db/request-queries.js';
import { myRequestBlock, pendingReviewBlocks } from '../follow/request-list.js';
import { RequestIds } from '../ids.js';
import { context, divider, header, plain, section } from '../views.js';

export interface HomeData {
  mine: RequestDetails[];
  toReview: RequestDetails[];
}

// Slack allows 100 blocks in a Home view; these caps keep the worst case at 4 + 2*20 + 3 + 30 + 2 = 79.
const MAX_REVIEWS = 20;
const MAX_MINE = 30;

/** The App Home tab for one person: a request button, what waits for them, and their own requests. */
export function buildHomeView(data: HomeData): HomeView {
  const active = data.mine.filter((r) => r.status === 'active');
  const pending = data.mine.filter((r) => r.status === 'pending');
  const history = data.mine.filter((r) => r.status !== 'active' && r.status !== 'pending');
  const blocks: KnownBlock[] = [
    header('Access requests'),
    section('Ask for just-in-time access. It is granted once approved and ends on its own.'),
    {
      type: 'actions',
      block_id: 'home.actions',
      elements: [{ type: 'button', action_id: RequestIds.openButton, text: plain('Request access', 75), style: 'primary', value: 'home' }],
    },
  ];
  if (data.toReview.length > 0) {
    blocks.push(divider(), header(`Waiting for your review (${data.toReview.length})`));
    blocks.push(...data.toReview.slice(0, MAX_REVIEWS).flatMap(pendingReviewBlocks));
    if (data.toReview.length > MAX_REVIEWS) blocks.push(context(`…and ${data.toReview.length - MAX_REVIEWS} more: see \`/access pending\`.`));
  }
  blocks.push(divider(), header('Your requests'));
  const ordered = [...active, ...pending, ...history].slice(0, MAX_MINE);
  if (ordered.length === 0) blocks.push(section('You have no requests yet.'));
  else blocks.push(...ordered.map(myRequestBlock));
  blocks.push(context('Commands: `/access request`, `/access list`, `/access pending`, `/access help`'));
  return { type: 'home', blocks };
}
