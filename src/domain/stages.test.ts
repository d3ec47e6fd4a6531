import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AccessFileSchema, describeIssuePath } from './access-file.js';
import { flowFromFile, toAccessFile } from './access-file-mapping.js';
import { stageFlow, stageProgress } from './stages.js';

const file = (flow: string) => `
resources:
  - { name: prod-db, type: database }
flows:
  - name: prod
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
${flow}
`;

const STAGED = `    stages:
      - name: peer review
        approvers: { users: [U0PEER1, U0PEER2] }
        approvals_required: 2
        reminders: { remind_after: 1h, escalate_after: 2h, escalate_to: { groups: [S0LEADS] } }
      - name: owner approval
        approvers: { users: [U0OWNER], groups: [S0OWNERS] }`;

const problems = (text: string) => {
  const parsed = AccessFileSchema.safeParse(parse(text));
  return parsed.success ? [] : parsed.error.issues.map((i) => `${describeIssuePath(i.path)}: ${i.message}`);
};

describe('stages in ACCESS_CONFIG', () => {
  it('reads each stage, gives the decision the current stage, and writes the same back', () => {
    const parsed = AccessFileSchema.parse(parse(file(STAGED)));
    const flow = { id: 'flw_1', ...flowFromFile(parsed.flows[0]!) };
    expect(flow.stages).toHaveLength(2);
    // Flow-wide questions (revoke, Home) see every stage's approvers; the decision sees its stage's.
    expect(flow.approverUsers).toEqual(['U0PEER1', 'U0PEER2', 'U0OWNER']);
    const first = stageFlow(flow, 0);
    expect(first).toMatchObject({ approverUsers: ['U0PEER1', 'U0PEER2'], approverGroups: [], approvalsRequired: 2 });
    expect(first.lifecycle).toMatchObject({
      remindAfterMinutes: 60,
      escalateAfterMinutes: 120,
      escalationGroups: ['S0LEADS'],
    });
    const second = stageFlow(flow, 1);
    expect(second).toMatchObject({ approverUsers: ['U0OWNER'], approverGroups: ['S0OWNERS'], approvalsRequired: 1 });
    expect(second.lifecycle).toMatchObject({ remindAfterMinutes: null, escalateAfterMinutes: null });
    const back = toAccessFile([], [flow]) as { flows: Record<string, unknown>[] };
    expect(back.flows[0]!.approvers).toBeUndefined();
    expect(back.flows[0]!.stages).toEqual([
      {
        name: 'peer review',
        approvers: { users: ['U0PEER1', 'U0PEER2'] },
        approvals_required: 2,
        reminders: { remind_after: '1h', escalate_after: '2h', escalate_to: { groups: ['S0LEADS'] } },
      },
      { name: 'owner approval', approvers: { users: ['U0OWNER'], groups: ['S0OWNERS'] } },
    ]);
    expect(AccessFileSchema.parse({ ...parsed, flows: back.flows }).flows[0]).toEqual(parsed.flows[0]);
  });

  it('a flow without stages is one implicit stage of its own approvers', () => {
    const parsed = AccessFileSchema.parse(parse(file('    approvers: { users: [U0APPR] }')));
    const flow = { id: 'flw_1', ...flowFromFile(parsed.flows[0]!) };
    expect(flow.stages).toEqual([]);
    expect(stageFlow(flow, 0)).toBe(flow);
    expect((toAccessFile([], [flow]) as { flows: Record<string, unknown>[] }).flows[0]!.stages).toBeUndefined();
  });

  it.each([
    [
      'approvers at both levels',
      `    approvers: { users: [U0APPR] }\n${STAGED}`,
      'flows[0].approvers: with stages, name the approvers in each stage',
    ],
    [
      'a stage without approvers',
      '    stages:\n      - name: peer review\n        approvers: {}',
      'flows[0].stages[0].approvers: must name at least one approver user or group',
    ],
    [
      'two stages of one name',
      '    stages:\n      - { name: review, approvers: { users: [U0A1] } }\n      - { name: Review, approvers: { users: [U0A2] } }',
      'flows[0].stages[1].name: duplicate stage name "Review"',
    ],
    [
      'escalation without anyone to escalate to',
      '    stages:\n      - { name: review, approvers: { users: [U0A1] }, reminders: { escalate_after: 1h } }',
      'flows[0].stages[0].reminders.escalate_to: must name at least one user or group to escalate to',
    ],
    [
      'a reminder after the request expired',
      '    pending_ttl: 2h\n    stages:\n      - { name: review, approvers: { users: [U0A1] }, reminders: { remind_after: 3h } }',
      'flows[0].stages[0].reminders.remind_after: must be shorter than pending_ttl (2h)',
    ],
    [
      'flow-level reminders',
      `    reminders: { remind_after: 1h }\n${STAGED}`,
      'flows[0].reminders: with stages, set reminders in each stage',
    ],
    ['no stage at all', '    stages: []', 'flows[0].stages'],
    ['a misspelt field', '    stages:\n      - { name: review, approver: { users: [U0A1] } }', 'flows[0].stages[0]'],
  ])('refuses %s, naming the field', (_what, flow, expected) => {
    expect(problems(file(flow)).join('\n')).toContain(expected);
  });
});

describe('stage progress', () => {
  it('says the current stage and who passed the earlier ones', () => {
    const approvals = [
      { approverId: 'U0PEER1', stageIndex: 0 },
      { approverId: 'U0OWNER', stageIndex: 1 },
    ];
    expect(stageProgress({ stageNames: ['peer review', 'owner approval'], stageIndex: 1, approvals })).toEqual({
      index: 1,
      count: 2,
      name: 'owner approval',
      passed: [{ name: 'peer review', by: ['U0PEER1'] }],
    });
    expect(stageProgress({ stageNames: [], stageIndex: 0, approvals })).toBeNull();
  });
});
