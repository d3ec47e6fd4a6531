import type { KnownBlock } from '@slack/types';
import { parse as parseYaml, stringify } from 'yaml';
import { describeIssuePath } from '../../domain/access-file.js';
import type { FlowStage } from '../../domain/stages.js';
import { checkFileStages, StagesFileSchema, stagesFromFile, stagesToFile } from '../../domain/stages-file.js';
import { FIELD, FlowForm } from '../ids.js';
import { textValue, type StateValues } from '../state.js';
import { header, plain } from '../views.js';
import { inputBlock } from './flow-inputs.js';

/**
 * Approval stages in the App Home flow editor (domain/stages.ts): the `stages:` list of ACCESS_CONFIG as
 * YAML, like the auto-approval rules, so a stage means the same wherever it was written and a problem is
 * said under the field with its path ("stages[1].approvers: must name at least one approver user or group").
 * A text field rather than pickers per stage: a modal's 100 blocks would not hold five stages of pickers.
 */
export const stagesText = (stages: readonly FlowStage[] | undefined) => {
  const file = stagesToFile(stages).stages;
  return file ? stringify(file, { lineWidth: 0 }) : '';
};

export function stagesBlocks(stages: readonly FlowStage[] | undefined): KnownBlock[] {
  const text = stagesText(stages);
  return [
    header('Approval stages'),
    inputBlock(
      FlowForm.stages,
      'Stages (YAML)',
      {
        type: 'plain_text_input',
        multiline: true,
        max_length: 3000,
        ...(text ? { initial_value: text } : {}),
        placeholder: plain('- name: peer review …', 150),
      },
      {
        optional: true,
        hint: 'Leave empty for one stage of the approvers above. Or list stages in order, each "- name: …" with approvers: { users: [U…], groups: [S…] }, approvals_required and reminders; then the approvers, approvals and reminders above are not used.',
      },
    ),
  ];
}

/** The stages text as stages, or the first problem with its path; `pendingTtl` bounds each stage's reminders. */
export function readStages(text: string, pendingTtl: number): { stages: FlowStage[] } | { error: string } {
  if (!text.trim()) return { stages: [] };
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    return { error: `Not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (parsed === null || parsed === undefined) return { stages: [] };
  if (!Array.isArray(parsed)) return { error: 'Write a list of stages, each starting with "- name: …".' };
  const result = StagesFileSchema.safeParse(parsed);
  const where = (path: readonly PropertyKey[]) => `stages${describeIssuePath(path).replace(/^(?=[^[])/, '.')}`;
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { error: `${where(issue.path)}: ${issue.message}` };
  }
  const issues: string[] = [];
  checkFileStages(
    {
      stages: result.data,
      approvers: { users: [], groups: [] },
      approvals_required: 1,
      pending_ttl: Number.isFinite(pendingTtl) ? pendingTtl : Number.MAX_SAFE_INTEGER,
    },
    {
      addIssue: (issue: { message: string; path?: PropertyKey[] }) =>
        // checkFileStages names paths from the flow ("stages", 0, …): said as the field's own path.
        issues.push(`${describeIssuePath(issue.path ?? [])}: ${issue.message}`),
    } as never,
  );
  if (issues.length) return { error: issues[0]! };
  return { stages: stagesFromFile(result.data) };
}

/** The stages field of the editor's state (see readStages). */
export const readStagesForm = (v: StateValues, pendingTtl: number) =>
  readStages(textValue(v, FlowForm.stages, FIELD), pendingTtl);
