import type { Button, HomeView, KnownBlock } from '@slack/types';
import type { HomeModel } from '../../services/home-service.js';
import { fileNote, flowBlock, resourceBlock } from '../admin/flow-list.js';
import { bundleSection } from '../admin/bundle-modal.js';
import { myRequestBlock, pendingReviewBlocks } from '../access-command/request-list.js';
import { adminReviewBlocks, myReviewBlocks } from '../access-review/home-blocks.js';
import { requesterActions } from '../review/request-message.js';
import { AdminIds, BreakGlassIds, HomeNav, IdentityIds, RequestIds, WhoCanIds } from '../ids.js';
import { userText } from '../mrkdwn.js';
import { unreviewedBlocks } from '../review/lifecycle-message.js';
import { context, divider, header, plain, section } from '../views.js';
import { bundleGroupedBlocks } from './bundle-groups.js';
import { tokenBlocks } from './token-blocks.js';

// Slack allows 100 blocks in a Home view. "My access": 5 + 2*15 + 3 + 2*10 active/pending (with their
// buttons) + 10 past + 1 = 69 at most, plus a heading per bundle pick listed while there is room; admin tabs: 4 + 15 flows (or 25 resources) + 3 = 32 at most.
const MAX_REVIEWS = 15;
const MAX_OPEN = 10;
const MAX_PAST = 10;
const MAX_UNREVIEWED = 5;
const MAX_HOME_BLOCKS = 100;

const button = (text: string, actionId: string, value: string, primary = false): Button => ({
  type: 'button',
  action_id: actionId,
  text: plain(text, 75),
  value,
  ...(primary ? { style: 'primary' as const } : {}),
});

/** Admins get tabs; everyone else sees only their own access. */
function tabs(model: HomeModel): KnownBlock[] {
  if (!model.isAdmin) return [];
  const labels = {
    mine: 'My access',
    flows: 'Approval flows',
    resources: 'Resources',
    reviews: 'Access reviews',
  } as const;
  return [
    {
      type: 'actions',
      block_id: 'home.tabs',
      elements: (Object.keys(labels) as (keyof typeof labels)[]).map((t) =>
        button(t === model.tab ? `• ${labels[t]}` : labels[t], HomeNav.tab(t), t, t === model.tab),
      ),
    },
  ];
}

function pager(tab: string, page: number, pages: number): KnownBlock[] {
  if (pages <= 1) return [];
  const elements: Button[] = [];
  if (page > 0) elements.push(button('← Previous', HomeNav.prev, `${tab}:${page - 1}`));
  if (page < pages - 1) elements.push(button('Next →', HomeNav.next, `${tab}:${page + 1}`));
  return [context(`Page ${page + 1} of ${pages}`), { type: 'actions', block_id: 'home.pager', elements }];
}

function myAccess(model: Extract<HomeModel, { tab: 'mine' }>): KnownBlock[] {
  const active = model.mine.filter((r) => r.status === 'active');
  const pending = model.mine.filter((r) => r.status === 'pending');
  const history = model.mine.filter((r) => r.status !== 'active' && r.status !== 'pending');
  const blocks: KnownBlock[] = [
    section('Ask for just-in-time access. It is granted once approved and ends on its own.'),
    {
      type: 'actions',
      block_id: 'home.actions',
      elements: [
        button('Request access', RequestIds.openButton, 'home', true),
        ...(model.canBreakGlass
          ? [{ ...button('Break glass', BreakGlassIds.openButton, 'home'), style: 'danger' as const }]
          : []),
        ...(model.identity
          ? [
              button(
                model.identity.linked ? 'Sign in again' : 'Link company identity',
                IdentityIds.homeLinkButton,
                'home',
              ),
            ]
          : []),
      ],
    },
  ];
  if (model.identity) {
    const linked = model.identity.linked;
    blocks.push(
      context(
        linked
          ? `:identification_card: Linked as ${userText(linked.email ?? 'your company identity', 200)} (${userText(linked.provider, 100)})`
          : ':identification_card: Not linked to a company identity: some flows need it (`/access link`).',
      ),
    );
  }
  // Break-glass grants waiting for review (at most MAX_UNREVIEWED: 2 + 2*5 + 1 more blocks).
  const unreviewed = model.unreviewed ?? [];
  if (unreviewed.length > 0) {
    blocks.push(
      divider(),
      header(':rotating_light: Break-glass access to review'),
      ...unreviewedBlocks(unreviewed.slice(0, MAX_UNREVIEWED)),
    );
    if (unreviewed.length > MAX_UNREVIEWED)
      blocks.push(context('…and more, oldest first: review these to see the next ones.'));
  }
  if (model.toReview.length > 0) {
    blocks.push(
      divider(),
      header(
        `Waiting for your review${model.toReview.length > MAX_REVIEWS ? ` (${MAX_REVIEWS}+)` : ` (${model.toReview.length})`}`,
      ),
    );
    blocks.push(...model.toReview.slice(0, MAX_REVIEWS).flatMap(pendingReviewBlocks));
    if (model.toReview.length > MAX_REVIEWS) blocks.push(context('…and more: see `/access pending`.'));
  }
  // Access reviews this person decides in: 2 + 5 more blocks at most.
  const reviews = myReviewBlocks(model.accessReviews ?? []);
  if (reviews.length) blocks.push(divider(), ...reviews);
  blocks.push(divider(), header('Your requests'));
  const open = [...active, ...pending].slice(0, MAX_OPEN);
  const past = history.slice(0, MAX_PAST);
  if (open.length + past.length === 0) blocks.push(section('You have no requests yet.'));
  const askedForOthers = new Set(model.askedForOthers ?? []);
  // A bundle pick's parts sit together under its name, with a heading per pick while the tab has room
  // (the commands line and the header above count too).
  const openBlocks = (r: (typeof open)[number]) => [
    myRequestBlock(r),
    ...(askedForOthers.has(r.id) ? [] : requesterActions(r)),
  ];
  const listed = open.flatMap(openBlocks).length + past.length;
  let room = MAX_HOME_BLOCKS - 3 - blocks.length - listed;
  const opened = bundleGroupedBlocks(open, openBlocks, room);
  room -= opened.length - open.flatMap(openBlocks).length;
  blocks.push(...opened, ...bundleGroupedBlocks(past, (r) => [myRequestBlock(r)], room));
  return blocks;
}

/** The App Home tab, rendered from the home model only. */
export function buildHomeView(model: HomeModel): HomeView {
  const blocks: KnownBlock[] = [header('Access requests'), ...tabs(model)];
  if (model.tab === 'mine') {
    blocks.push(...myAccess(model));
    // Last before the commands line, in whatever room the rest left (Slack's 100 blocks).
    blocks.push(...tokenBlocks(model.tokens ?? [], MAX_HOME_BLOCKS - blocks.length - 1));
  }
  if (model.tab === 'flows') {
    blocks.push(
      section(`*Approval flows* (${model.total}): who may request which resources, and who approves.`),
      {
        type: 'actions',
        block_id: 'admin.flows.actions',
        elements: [button('Add flow', AdminIds.addFlow, 'new', true)],
      },
      ...(model.flows.length
        ? model.flows.map((f) => flowBlock(f, model.disabledGroups))
        : [section('No flows yet. Add one, or list them in ACCESS_CONFIG.')]),
      ...pager('flows', model.page, model.pages),
      fileNote(),
    );
  }
  if (model.tab === 'resources') {
    blocks.push(
      section(`*Resources* (${model.total}): what can be requested. Flows pick them by name or by tag.`),
      {
        type: 'actions',
        block_id: 'admin.resources.actions',
        elements: [
          button('Add resource', AdminIds.addResource, 'new', true),
          button('Who can…', WhoCanIds.openButton, 'home'),
        ],
      },
      ...(model.resources.length ? model.resources.map(resourceBlock) : [section('No resources yet.')]),
      ...pager('resources', model.page, model.pages),
      ...bundleSection(model.bundles ?? []),
      fileNote(),
    );
  }
  if (model.tab === 'reviews') blocks.push(...adminReviewBlocks(model.reviews));
  if (model.tab === 'mine')
    blocks.push(
      context('Commands: `/access request`, `/access list`, `/access pending`, `/access token`, `/access help`'),
    );
  return { type: 'home', blocks };
}
