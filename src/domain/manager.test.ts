import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AccessFileSchema } from './access-file.js';
import { flowFromFile, toAccessFile } from './access-file-mapping.js';
import { stageFlow } from './stages.js';

const FILE = `
managers: { U0REQ: U0DBA1 }
resources:
  - { name: prod-db, type: database }
flows:
  - name: prod
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
    approvers: { manager: true, manager_fallback: { groups: [S0LEADS] } }
  - name: billing
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
    stages:
      - name: manager
        approvers: { manager: true, manager_fallback: { users: [U0SAM] } }
      - name: owner
        approvers: { users: [U0OWNER] }
`;

describe('manager approvers in ACCESS_CONFIG', () => {
  const parsed = AccessFileSchema.parse(parse(FILE));
  const flows = parsed.flows.map(flowFromFile);

  it('reads manager: true with its fallback, on a flow and on a stage only where named', () => {
    expect(parsed.managers).toEqual({ U0REQ: 'U0DBA1' });
    expect(flows[0]!.lifecycle.managerApprover).toEqual({ fallbackUsers: [], fallbackGroups: ['S0LEADS'] });
    const billing = { id: 'flw_b', ...flows[1]! };
    expect(stageFlow(billing, 0).lifecycle.managerApprover).toEqual({ fallbackUsers: ['U0SAM'], fallbackGroups: [] });
    expect(stageFlow(billing, 1).lifecycle.managerApprover).toBeUndefined();
  });

  it('managers: takes Slack ids or e-mails on either side, and says so under anything else', () => {
    const withEmails = FILE.replace(
      'managers: { U0REQ: U0DBA1 }',
      'managers: { rita@example.com: dana@example.com, U0OSC: sam@example.com }',
    );
    expect(AccessFileSchema.parse(parse(withEmails)).managers).toEqual({
      'rita@example.com': 'dana@example.com',
      U0OSC: 'sam@example.com',
    });
    const bad = AccessFileSchema.safeParse(parse(FILE.replace('U0DBA1', 'dana')));
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['managers', 'U0REQ'],
      message: 'must be a Slack user id (U…) or an e-mail address',
    });
  });

  it('a flow of only the manager needs no other approver; without it, one is still required', () => {
    const bare = FILE.replace('approvers: { manager: true, manager_fallback: { groups: [S0LEADS] } }', 'approvers: {}');
    expect(AccessFileSchema.safeParse(parse(bare)).success).toBe(false);
  });

  it('exports the same back (round trip)', () => {
    const exported = toAccessFile([], flows) as { flows: Record<string, unknown>[] };
    const again = AccessFileSchema.parse({ resources: parse(FILE).resources, flows: exported.flows }).flows.map(
      flowFromFile,
    );
    expect(again).toEqual(flows);
    expect(exported.flows[0]!.approvers).toEqual({
      manager: true,
      manager_fallback: { groups: ['S0LEADS'] },
    });
  });
});
