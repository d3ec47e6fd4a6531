import { z } from 'zod';
import { minutesText, People } from './file-fields.js';
import { checkFileLifecycle, OnCallFileSchema, RemindersSchema } from './lifecycle-file.js';
import { managerFileFields, managerFromFile, managerToFile } from './manager.js';
import { refsFromFile, refsToFile } from './on-call.js';
import { MAX_STAGES, type FlowStage } from './stages.js';

/**
 * `stages:` of a flow in ACCESS_CONFIG (domain/stages.ts): each stage names its approvers the way a
 * flow does (users, groups, on_call), its N of M and its own reminders and escalation.
 */
export const StageFileSchema = z.strictObject({
  name: z
    .string()
    .min(1, 'must name the stage, like "peer review"')
    .max(64)
    .regex(/^[^<>&*_~`]+$/, 'use words, digits and spaces (no Slack formatting characters)'),
  approvers: People.extend({ on_call: OnCallFileSchema.optional(), ...managerFileFields }),
  approvals_required: z.number().int().min(1).max(10).default(1),
  reminders: RemindersSchema.optional(),
});

export const StagesFileSchema = z.array(StageFileSchema).min(1).max(MAX_STAGES).optional();

type FileStage = z.infer<typeof StageFileSchema>;

/** What a flow with `stages:` may not say at its own level, and what each stage must say; issues name the field. */
export function checkFileStages(
  f: {
    stages?: FileStage[] | undefined;
    approvers: { users: string[]; groups: string[]; on_call?: unknown; manager?: boolean | undefined };
    approvals_required: number;
    reminders?: unknown;
    pending_ttl: number;
  },
  ctx: z.RefinementCtx,
) {
  const stages = f.stages;
  if (!stages) return;
  if (f.approvers.users.length + f.approvers.groups.length > 0 || f.approvers.on_call || f.approvers.manager)
    ctx.addIssue({ code: 'custom', message: 'with stages, name the approvers in each stage', path: ['approvers'] });
  if (f.approvals_required !== 1)
    ctx.addIssue({
      code: 'custom',
      message: 'with stages, set approvals_required in each stage',
      path: ['approvals_required'],
    });
  if (f.reminders)
    ctx.addIssue({ code: 'custom', message: 'with stages, set reminders in each stage', path: ['reminders'] });
  const names = new Set<string>();
  stages.forEach((stage, i) => {
    const at = (path: readonly PropertyKey[] | undefined) => ['stages', i, ...(path ?? [])];
    if (names.has(stage.name.toLowerCase()))
      ctx.addIssue({ code: 'custom', message: `duplicate stage name "${stage.name}"`, path: at(['name']) });
    names.add(stage.name.toLowerCase());
    if (stage.approvers.users.length + stage.approvers.groups.length === 0 && !stage.approvers.manager)
      ctx.addIssue({
        code: 'custom',
        message: 'must name at least one approver user or group',
        path: at(['approvers']),
      });
    // The flow's own reminder rules, checked per stage: each issue is moved under its stage.
    checkFileLifecycle({ ...stage, pending_ttl: f.pending_ttl, auto_approve: [] }, {
      addIssue: (issue: { code: 'custom'; message: string; path?: PropertyKey[] }) =>
        ctx.addIssue({ ...issue, path: at(issue.path) }),
    } as unknown as z.RefinementCtx);
  });
}

export function stagesFromFile(stages: FileStage[] | undefined): FlowStage[] {
  return (stages ?? []).map((s) => {
    const onCall = refsFromFile(s.approvers.on_call);
    return {
      name: s.name,
      approverUsers: s.approvers.users,
      approverGroups: s.approvers.groups,
      ...(onCall.length ? { onCallApprovers: onCall } : {}),
      ...managerFromFile(s.approvers),
      approvalsRequired: s.approvals_required,
      remindAfterMinutes: s.reminders?.remind_after ?? null,
      escalateAfterMinutes: s.reminders?.escalate_after ?? null,
      escalationUsers: s.reminders?.escalate_to?.users ?? [],
      escalationGroups: s.reminders?.escalate_to?.groups ?? [],
    };
  });
}

/** Back to the file's words (config export); defaults left out. */
export function stagesToFile(stages: readonly FlowStage[] | undefined): { stages?: Record<string, unknown>[] } {
  if (!stages?.length) return {};
  return {
    stages: stages.map((s) => {
      const escalateTo = s.escalationUsers.length + s.escalationGroups.length > 0;
      const reminders = {
        ...(s.remindAfterMinutes !== null ? { remind_after: minutesText(s.remindAfterMinutes) } : {}),
        ...(s.escalateAfterMinutes !== null ? { escalate_after: minutesText(s.escalateAfterMinutes) } : {}),
        ...(escalateTo
          ? {
              escalate_to: {
                ...(s.escalationUsers.length ? { users: s.escalationUsers } : {}),
                ...(s.escalationGroups.length ? { groups: s.escalationGroups } : {}),
              },
            }
          : {}),
      };
      return {
        name: s.name,
        approvers: {
          ...(s.approverUsers.length ? { users: s.approverUsers } : {}),
          ...(s.approverGroups.length ? { groups: s.approverGroups } : {}),
          ...(s.onCallApprovers?.length ? { on_call: refsToFile(s.onCallApprovers) } : {}),
          ...managerToFile(s.managerApprover),
        },
        ...(s.approvalsRequired !== 1 ? { approvals_required: s.approvalsRequired } : {}),
        ...(Object.keys(reminders).length ? { reminders } : {}),
      };
    }),
  };
}
