import { describe, expect, it } from 'vitest';
import type { FlowRow } from '../../domain/catalog.js';
import { aFlow } from '../../domain/fixtures.test-support.js';
import { disabledGroupLines, flowBlock, resourceBlock } from './flow-list.js';

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

describe('a resource a group source made, in the Resources tab', () => {
  it('says where it came from and why it cannot be edited here, and offers no menu', () => {
    const block = resourceBlock({
      id: 'res_1',
      name: 'okta-jit-db',
      type: 'group',
      tags: ['okta-jit'],
      description: 'Database admins',
      defaults: { loginUsers: [], databases: [], namespaces: [] },
      provisioner: { type: 'okta', settings: { group_id: '00g1' } },
      managedBy: 'sync',
      origin: { source: 'okta-jit', groupId: '00g1', groupName: 'jit-db' },
    });
    expect(JSON.stringify(block)).toContain(
      'synced from the Okta group “jit-db” by group source `okta-jit`: read-only here (change the group in Okta; the next sync would overwrite an edit)',
    );
    expect(block).not.toHaveProperty('accessory');
  });
});
