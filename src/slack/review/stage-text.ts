import { stageProgress } from '../../domain/stages.js';
import type { RequestDetails } from '../../domain/request.js';
import { mentionList, userText } from '../mrkdwn.js';

type Staged = Pick<RequestDetails, 'stageNames' | 'stageIndex' | 'approvals'>;

const stageName = (name: string) => userText(name, 64);

/**
 * Where a staged request stands, the same words on every surface: "Stage 2 of 2: owner approval ·
 * peer review passed by @alex". Empty for a flow without stages (nothing changes there).
 */
export function stageLine(r: Staged): string {
  const p = stageProgress(r);
  if (!p) return '';
  const passed = p.passed.map((s) => `${stageName(s.name)} passed by ${mentionList(s.by)}`);
  return [`Stage ${p.index + 1} of ${p.count}: ${stageName(p.name)}`, ...passed].join(' · ');
}

/**
 * What an approver of a stage that passed sees instead of buttons: their stage is decided and who has
 * the request now ("peer review passed; now at stage 2 of 2: owner approval").
 */
export function earlierStageLine(r: Staged & Pick<RequestDetails, 'status'>): string {
  const p = stageProgress(r);
  if (!p) return '';
  const mine = p.passed.at(-1);
  const where = r.status === 'pending' ? `; now at stage ${p.index + 1} of ${p.count}: ${stageName(p.name)}` : '';
  return `:ballot_box_with_check: ${mine ? `${stageName(mine.name)} passed by ${mentionList(mine.by)}` : 'Your stage passed'}${where}`;
}
