import type { Button, KnownBlock } from '@slack/types';
import {
  selfReviewRefused,
  type RemovalOutcome,
  type ReviewPageModel,
  type ReviewPersonModel,
} from '../../domain/access-review.js';
import type { ReviewFinding } from '../../services/ports-messengers.js';
import { AccessReviewIds } from '../ids.js';
import { code, fallbackText, mention, slackDate, userText } from '../mrkdwn.js';
import type { SlackMessage } from '../review/request-message.js';
import { context, header, plain, section } from '../views.js';

/**
 * A reviewer's DM about an access review: one page of people (REVIEW_PAGE_SIZE, 2 blocks each), Keep /
 * Remove per person, "Keep the rest of this page" and the pager. One renderer for the first post and every
 * update; a finished review loses its buttons and gains a status line. Button values carry ids only.
 */

const group = (id: string) => `<!subteam^${id}>`;
const MAX_GROUPS_SHOWN = 5;

export const OUTCOME_TEXT: Record<RemovalOutcome, string> = {
  removed_from_flow: 'taken out of the flow',
  file_change_needed: 'the ACCESS_CONFIG file must change: admins told',
  group_finding: 'a user-group membership to end: admins told',
};

const button = (text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button => ({
  type: 'button',
  action_id: actionId,
  text: plain(text, 75),
  value,
  ...(style ? { style } : {}),
});

function how(p: ReviewPersonModel): string {
  const via = [
    ...(p.direct ? ['named in the flow'] : []),
    ...(p.groups.length
      ? [
          `via ${p.groups.slice(0, MAX_GROUPS_SHOWN).map(group).join(', ')}${p.groups.length > MAX_GROUPS_SHOWN ? ` and ${p.groups.length - MAX_GROUPS_SHOWN} more` : ''}`,
        ]
      : []),
  ];
  return `${p.roles.join(' and ')} · ${via.join('; ')}`;
}

function evidenceText(p: ReviewPersonModel): string {
  const e = p.evidence;
  const last = e.lastGrantAt ? slackDate(new Date(e.lastGrantAt), '{date_short}') : 'never';
  return `${e.requests} requests · ${e.approvalsGiven} approvals given · ${e.sessions} sessions in the period · last grant ${last}`;
}

function decisionText(p: ReviewPersonModel): string {
  if (!p.decision) return '';
  const by = p.decidedBy ? ` by ${mention(p.decidedBy)}` : '';
  if (p.decision === 'keep') return `\n:white_check_mark: *Kept*${by}`;
  const outcomes = p.outcomes.map((o) => OUTCOME_TEXT[o]).join('; ');
  return `\n:x: *Removed*${by}${outcomes ? `: ${outcomes}` : ''}`;
}

function personBlocks(m: ReviewPageModel, p: ReviewPersonModel): KnownBlock[] {
  const blocks: KnownBlock[] = [section(`${mention(p.userId)} — ${how(p)}\n${evidenceText(p)}${decisionText(p)}`)];
  if (m.status !== 'open' || p.decision) return blocks;
  if (selfReviewRefused(m.reviewerId, p.userId, m.reviewers)) {
    blocks.push(context('This is you: another reviewer decides about your access.'));
    return blocks;
  }
  const value = `${m.reviewId}:${m.page}:${p.userId}`;
  blocks.push({
    type: 'actions',
    block_id: `accessreview.person.${p.userId}`,
    elements: [
      button('Keep', AccessReviewIds.keep, value, 'primary'),
      button('Remove', AccessReviewIds.remove, value, 'danger'),
    ],
  });
  return blocks;
}

export function renderReviewMessage(m: ReviewPageModel): SlackMessage {
  const flow = userText(m.flowName, 100);
  const progress = `${m.decided} of ${m.total} decided, ${m.removed} removed`;
  const summary =
    m.status === 'done'
      ? `:white_check_mark: *Review complete*${m.closedAt ? ` ${slackDate(m.closedAt)}` : ''}: ${m.total - m.removed} kept, ${m.removed} removed.`
      : `Who may request or approve access through flow *${flow}*? Keep or remove each person. Period ${slackDate(m.periodStart, '{date_short}')} – ${slackDate(m.dueAt, '{date_short}')}; evidence is from the audit trail. ${progress}.`;
  const blocks: KnownBlock[] = [header(`Access review: ${m.flowName}`), section(summary)];
  if (m.everyone)
    blocks.push(
      context(
        ':warning: Everyone in the workspace may request through this flow: they are not listed one by one. Name people or groups instead if that is not intended.',
      ),
    );
  if (m.onCall)
    blocks.push(
      context('Whoever is on call on the flow’s schedules is asked too: a schedule is reviewed where it is kept.'),
    );
  if (m.total === 0) blocks.push(section('Nobody is named in this flow or its groups.'));
  for (const p of m.people) blocks.push(...personBlocks(m, p));
  const undecidedHere = m.people.some((p) => !p.decision && !selfReviewRefused(m.reviewerId, p.userId, m.reviewers));
  const elements: Button[] = [];
  if (m.status === 'open' && undecidedHere)
    elements.push(button('Keep the rest of this page', AccessReviewIds.keepPage, `${m.reviewId}:${m.page}`));
  if (m.page > 0) elements.push(button('← Previous', AccessReviewIds.prev, `${m.reviewId}:${m.page - 1}`));
  if (m.page < m.pages - 1) elements.push(button('Next →', AccessReviewIds.next, `${m.reviewId}:${m.page + 1}`));
  blocks.push(context(`Page ${m.page + 1} of ${m.pages} · review ${code(m.reviewId)}`));
  if (elements.length) blocks.push({ type: 'actions', block_id: 'accessreview.pager', elements });
  const text = fallbackText(
    m.status === 'done'
      ? `Access review of flow ${m.flowName} is complete: ${m.total - m.removed} kept, ${m.removed} removed.`
      : `Access review of flow ${m.flowName}: ${progress}.`,
  );
  return { text, blocks };
}

/** The reminder under a reviewer's DM (a thread reply, as request reminders are). */
export function renderReviewReminder(m: ReviewPageModel): SlackMessage {
  const text = `:bell: Reminder: ${m.total - m.decided} of ${m.total} people in the access review of flow *${userText(m.flowName, 100)}* are still undecided.`;
  return { text: fallbackText(text), blocks: [section(text)] };
}

/** The admins' DM about a Remove the bot could not carry out by itself. */
export function renderReviewFinding(f: ReviewFinding): SlackMessage {
  const lines = [
    `:mag: Access review ${code(f.reviewId)} of flow *${userText(f.flowName, 100)}*: ${mention(f.decidedBy)} removed ${mention(f.userId)}.`,
  ];
  if (f.outcomes.includes('removed_from_flow'))
    lines.push('• They were taken out of the flow’s named requesters and approvers.');
  if (f.outcomes.includes('file_change_needed'))
    lines.push(
      `• The flow is managed by the ACCESS_CONFIG file, the source of truth: take ${code(f.userId)} out of its requesters and approvers there, or the next start keeps them.`,
    );
  if (f.outcomes.includes('group_finding'))
    lines.push(
      `• They are eligible through ${f.groups.slice(0, 20).map(group).join(', ')}: remove them from ${f.groups.length > 1 ? 'those user groups' : 'that user group'} in Slack (or the group from the flow).`,
    );
  const text = lines.join('\n');
  return { text: fallbackText(text), blocks: [section(text)] };
}
