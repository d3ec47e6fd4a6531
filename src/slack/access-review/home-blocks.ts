import type { KnownBlock } from '@slack/types';
import type { ReviewSummary } from '../../services/access-review-service.js';
import { code, slackDate, userText } from '../mrkdwn.js';
import { context, section } from '../views.js';

/** One line per review: which flow, where it stands, its id (the export's handle). */
export function reviewLine(r: ReviewSummary): KnownBlock {
  const flow = `*${userText(r.flowName, 100)}*`;
  const state =
    r.status === 'open'
      ? `:hourglass_flowing_sand: open since ${slackDate(r.openedAt, '{date_short}')}: ${r.decided} of ${r.total} decided`
      : `:white_check_mark: completed ${r.closedAt ? slackDate(r.closedAt, '{date_short}') : ''}: ${r.total - r.removed} kept, ${r.removed} removed`;
  return section(`${flow} — ${state} · ${code(r.id)}`);
}

/** "Access reviews for you" on a reviewer's own tab (open first): the DM holds the buttons. */
export function myReviewBlocks(reviews: readonly ReviewSummary[]): KnownBlock[] {
  if (reviews.length === 0) return [];
  return [
    section('*Access reviews for you*'),
    ...reviews.map(reviewLine),
    context('Keep or remove each person in the review’s DM from me.'),
  ];
}

/** The admins' tab: every flow's recent reviews, open and past, and how to take a result away. */
export function adminReviewBlocks(reviews: readonly ReviewSummary[]): KnownBlock[] {
  return [
    section(
      `*Access reviews* (${reviews.length === 0 ? 'none yet' : `latest ${reviews.length}`}): flows with \`review:\` are reviewed on their schedule.`,
    ),
    ...(reviews.length
      ? reviews.map(reviewLine)
      : [section('No reviews yet. Give a flow a review schedule to start one.')]),
    context(
      'Export a result: `npm run audit -- review <id> --format csv` or `GET /api/v1/reviews/<id>?format=csv` with an API key.',
    ),
  ];
}
