import type { KnownBlock } from '@slack/types';
import { partCount, type BundlePartView, type BundlePickView } from '../../domain/bundle-view.js';
import { setupProgress } from '../../domain/request.js';
import { code, mention, userText } from '../mrkdwn.js';
import { context, section } from '../views.js';

const STATUS: Record<BundlePartView['status'], string> = {
  pending: ':hourglass_flowing_sand: pending',
  approved: ':white_check_mark: approved (starts later)',
  active: ':white_check_mark: ready',
  denied: ':x: denied',
  expired: ':clock3: expired',
  revoked: ':no_entry: revoked',
  cancelled: ':heavy_minus_sign: cancelled',
  timed_out: ':clock3: timed out',
};

/** A granted part follows its provisioning: being set up until its targets are, then ready or failed. */
function statusOf(p: BundlePartView): string {
  if (p.status !== 'active') return STATUS[p.status];
  const { pending, failed } = setupProgress(p);
  if (failed.length) return `:warning: could not be set up (${failed.map((r) => code(r)).join(', ')})`;
  if (pending.length) return `:gear: being set up (${pending.map((r) => code(r)).join(', ')})`;
  return STATUS.active;
}

function partLine(p: BundlePartView): string {
  const who =
    p.status === 'pending' && p.approvers.length ? ` with ${p.approvers.slice(0, 10).map(mention).join(', ')}` : '';
  return `• ${p.resources.map((r) => code(r)).join(', ')} _(flow ${userText(p.flowName, 64)}, ${code(p.requestId)})_: ${statusOf(p)}${who}`;
}

/** The requester's DM about a bundle pick: one line per part (one request per flow), updated as each moves on. */
export function renderBundleMessage(v: BundlePickView): { text: string; blocks: KnownBlock[] } {
  const n = partCount(v);
  const blocks: KnownBlock[] = [
    section(`:package: *${userText(v.bundleName, 64)}*: ${n} ${n === 1 ? 'part' : 'parts'}`),
    section(v.parts.map(partLine).join('\n').slice(0, 3000)),
  ];
  if (v.leftOut.length)
    blocks.push(
      context(
        `Left out (no flow lets you request ${v.leftOut.length === 1 ? 'it' : 'them'}): ${v.leftOut.map((r) => code(r)).join(', ')}`,
      ),
    );
  blocks.push(context('Each part is decided by its own flow’s approvers; you get a DM for each decision too.'));
  return { text: `${v.bundleName}: ${n} parts`, blocks };
}
