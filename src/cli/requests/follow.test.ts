import { describe, expect, it } from 'vitest';
import { ApiError, type AccessApi, type RequestDto } from '../../domain/request-api.js';
import { NO_ANSWER } from '../../client/http-access-api.js';
import type { CliIo } from './cli-io.js';
import { finish, follow } from './follow.js';

/** A request as the API shows it, pending with two approvals needed. */
const base: RequestDto = {
  id: 'req_1',
  kind: 'access',
  status: 'pending',
  flow: 'prod',
  resources: [{ name: 'prod-db', type: 'database' }],
  duration_minutes: 60,
  justification: 'INC-42',
  requester: 'U0REQ',
  created_at: '2026-05-01T09:00:00.000Z',
  decided_at: null,
  decided_by: null,
  deny_reason: null,
  starts_at: null,
  extends: null,
  approvers: ['U0A', 'U0B'],
  approvals: [],
  approvals_required: 2,
  grant: null,
  access: [],
  channel: 'cli',
  agent: null,
  // U0B has no name: Slack could not say who they are.
  names: { U0REQ: 'Rita Requester', U0A: 'Alex Approver' },
  stage: null,
};
const grant = {
  id: 'grt_1',
  status: 'active' as const,
  starts_at: '2020-05-01T09:05:00.000Z',
  expires_at: '2020-05-01T10:05:00.000Z',
};
const access = (status: 'pending' | 'active') => ({
  resource: 'prod-db',
  status,
  instructions: 'psql "host=db"',
  credential: { label: 'Password', delivered_in: 'slack_dm' as const },
  ssh_certificate: null,
});

/** An API whose wait and get answer the next of `steps` (an Error is thrown). */
function scripted(steps: Array<RequestDto | Error>): AccessApi {
  const next = async () => {
    const step = steps.shift();
    if (!step) throw new Error('asked once too often');
    if (step instanceof Error) throw step;
    return step;
  };
  return {
    wait: async () => ({ request: await next(), changed: true }),
    get: next,
  } as unknown as AccessApi;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    stdin: process.stdin,
    env: { HOME: '/nonexistent' },
    api: () => {
      throw new Error('not here');
    },
    onInterrupt: () => undefined,
  };
  return { cli, out: () => out.join(''), err: () => err.join('') };
}

describe('--wait', () => {
  it('a staged request: says each stage passing, and who the next stage asks', async () => {
    const t = io();
    const staged: RequestDto = {
      ...base,
      approvers: ['U0A'],
      approvals_required: 1,
      names: { U0A: 'Alex Approver', U0D: 'Dana Owner' },
      stage: { number: 1, of: 2, name: 'peer review', passed: [] },
    };
    const second = { number: 2, of: 2, name: 'owner approval', passed: [{ name: 'peer review', by: ['U0A'] }] };
    const approvedByA = [{ approver: 'U0A', at: '2026-05-01T09:01:00.000Z' }];
    const api = scripted([
      { ...staged, approvers: ['U0A', 'U0D'], approvals: approvedByA, stage: second },
      {
        ...staged,
        status: 'active',
        approvers: ['U0A', 'U0D'],
        approvals: [...approvedByA, { approver: 'U0D', at: '2026-05-01T09:02:00.000Z' }],
        decided_by: 'U0D',
        stage: second,
        grant,
        access: [access('active')],
      },
    ]);
    await follow(t.cli, api, staged);
    expect(t.err()).toBe(
      [
        'Asked Alex Approver to approve prod-db (stage 1 of 2: peer review; 1 approval needed).',
        'peer review passed (approved by Alex Approver).',
        'Now at stage 2 of 2: owner approval: asked Dana Owner (1 approval needed).',
        'Approved by Dana Owner.',
        'prod-db is ready.',
        '',
      ].join('\n'),
    );
  });

  it('tells who was asked, each approval of N, the decision and the setup, then how to use the access', async () => {
    const t = io();
    const api = scripted([
      { ...base, approvals: [{ approver: 'U0A', at: '2026-05-01T09:01:00.000Z' }] },
      { ...base, status: 'active', decided_by: 'U0B', grant, access: [access('pending')] },
      { ...base, status: 'active', decided_by: 'U0B', grant, access: [access('active')] },
    ]);
    const done = await follow(t.cli, api, base);
    expect(t.err()).toBe(
      [
        'Asked Alex Approver, U0B to approve prod-db (2 approvals needed).',
        'Approved by Alex Approver (1 of 2).',
        'Approved by U0B.',
        'Setting up prod-db…',
        'prod-db is ready.',
        '',
      ].join('\n'),
    );
    expect(finish(t.cli, done, { quiet: false, instructions: () => ['prod-db is ready.', '  psql "host=db"'] })).toBe(
      0,
    );
    expect(t.out()).toBe('prod-db is ready.\n  psql "host=db"\n');
  });

  it('a lost connection is tried again; a refusal is not', async () => {
    const t = io();
    const lost = new ApiError(NO_ANSWER, { error: 'unreachable', message: 'Could not reach the access bot at x.' });
    const done = await follow(
      t.cli,
      scripted([lost, { ...base, status: 'denied', decided_by: 'U0A', deny_reason: 'no' }]),
      base,
    );
    expect(done.status).toBe('denied');
    expect(t.err()).toContain('Lost the connection to the bot (Could not reach the access bot at x.); trying again…');
    expect(t.err()).toContain('Denied by Alex Approver: no');
    expect(finish(t.cli, done, { quiet: false, instructions: () => [] })).toBe(1);
    const refused = new ApiError(401, { error: 'unauthorized', message: 'Token revoked.' });
    await expect(follow(io().cli, scripted([refused]), base)).rejects.toBe(refused);
  });

  it('access that starts later ends the wait once approved, saying when', async () => {
    const t = io();
    const later = { ...grant, starts_at: new Date(Date.now() + 3600_000).toISOString() };
    const done = await follow(t.cli, scripted([{ ...base, status: 'active', decided_by: 'U0A', grant: later }]), base);
    expect(t.err()).toContain('Access starts at ');
    expect(finish(t.cli, done, { quiet: false, instructions: () => [] })).toBe(0);
    expect(t.out()).toContain('access-requests status req_1` shows how to use it.');
  });
});
