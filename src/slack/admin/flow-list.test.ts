import { describe, expect, it } from 'vitest';
import type { FlowRow } from '../../domain/catalog.js';
import { aFlow } from '../../domain/fixtures.test-support.js';
import { disabledGroupLines, flowBlock } from './flow-list.js';

const ops = { id: 'S0OPS', handle: 'ops', name: 'Ops', disabled: true };
const row = (over: Partial<FlowRow>): FlowRow =>
  ({ ...aFlow({ name: 'f', ...over }), managedBy: 'app', ...over }) as FlowRow;

describe('a flow naming a user group Slack disabled', () => {
  it('says so next to the flow, for approver and requester groups', () => {
    const f = row({ approverUsers: ['U1'], approverGroups: ['S0OPS'], requesterGroups: ['S0OPS'] });
    expect(disabledGroupLines(f, { S0OPS: ops })).toEqual([
      ':warning: Approver group @ops is disabled in Slack: its members cannot approve.',
      ':warning: Requester group @ops is disabled in Slack: its members cannot request.',
    ]);
  });

  it('says nobody can approve, and who can fix it, when its only approvers were disabled groups', () => {
    const lines = disabledGroupLines(row({ approverUsers: [], approverGroups: ['S0OPS'] }), { S0OPS: ops });
    expect(lines.at(-1)).toBe(
      ":rotating_light: *Nobody can approve this flow.* A Slack admin can enable @ops again, or an admin of this bot can edit the flow's approvers here.",
    );
    const fromFile = disabledGroupLines(row({ approverUsers: [], approverGroups: ['S0OPS'], managedBy: 'file' }), {
      S0OPS: ops,
    });
    expect(fromFile.at(-1)).toContain('change its approvers in ACCESS_CONFIG');
  });

  it('adds nothing when no group it names is disabled', () => {
    const f = row({ approverGroups: ['S0OPS'] });
    expect(disabledGroupLines(f, {})).toEqual([]);
    expect(JSON.stringify(flowBlock(f))).not.toContain('disabled in Slack');
    expect(JSON.stringify(flowBlock(f, { S0OPS: ops }))).toContain('Approver group @ops is disabled in Slack');
  });
});
