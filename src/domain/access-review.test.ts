import { describe, expect, it } from 'vitest';
import { AccessFileSchema } from './access-file.js';
import { flowFromFile, toAccessFile } from './access-file-mapping.js';
import {
  eligiblePeople,
  nextReviewDue,
  removalOutcomes,
  reviewProblem,
  selfReviewRefused,
  withoutPerson,
} from './access-review.js';

const DAY = 1440;
const at = (iso: string) => new Date(iso);

describe('when a review is due', () => {
  it.each([
    ['the first review is due at once', null, '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z'],
    [
      'the next one is due `every` after the last was due',
      '2026-01-01T00:00:00Z',
      '2026-02-01T00:00:00Z',
      '2026-03-02T00:00:00Z',
    ],
    ['exactly on time counts as due', '2026-01-01T00:00:00Z', '2026-03-02T00:00:00Z', '2026-03-02T00:00:00Z'],
    [
      'after periods missed, only the latest period that has begun',
      '2026-01-01T00:00:00Z',
      '2026-07-15T00:00:00Z',
      '2026-06-30T00:00:00Z',
    ],
  ])('%s', (_rule, last, now, due) => {
    expect(nextReviewDue(last ? at(last) : null, 60 * DAY, at(now)).toISOString()).toBe(at(due).toISOString());
  });
});

describe('who is eligible through a flow', () => {
  const flow = { requesterUsers: ['U2', 'U1'], requesterGroups: ['S1'], approverUsers: ['U3'], approverGroups: ['S2'] };
  const members = new Map([
    ['S1', ['U1', 'U4']],
    ['S2', ['U4', 'U5']],
  ]);

  it('lists each person once, with their roles, whether the flow names them, and which groups hold them', () => {
    expect(eligiblePeople(flow, members)).toEqual([
      { userId: 'U1', roles: ['requester'], direct: true, groups: ['S1'] },
      { userId: 'U2', roles: ['requester'], direct: true, groups: [] },
      { userId: 'U3', roles: ['approver'], direct: true, groups: [] },
      { userId: 'U4', roles: ['approver', 'requester'], direct: false, groups: ['S1', 'S2'] },
      { userId: 'U5', roles: ['approver'], direct: false, groups: ['S2'] },
    ]);
  });

  it('a group Slack does not know holds nobody', () => {
    expect(eligiblePeople({ ...flow, requesterUsers: [], approverUsers: [] }, new Map())).toEqual([]);
  });

  it('Remove takes a person out of both lists and leaves the groups', () => {
    expect(withoutPerson({ ...flow, approverUsers: ['U1', 'U3'] }, 'U1')).toEqual({
      ...flow,
      requesterUsers: ['U2'],
      approverUsers: ['U3'],
    });
  });
});

describe('what a Remove does', () => {
  it.each([
    ['a user named in an App Home flow leaves it', { direct: true, groups: [] }, 'app', true, ['removed_from_flow']],
    [
      'a user named in a file-managed flow: the file must change',
      { direct: true, groups: [] },
      'file',
      true,
      ['file_change_needed'],
    ],
    ['a group member: a finding for the admins', { direct: false, groups: ['S1'] }, 'app', true, ['group_finding']],
    [
      'both: out of the flow, and the group told',
      { direct: true, groups: ['S1'] },
      'app',
      true,
      ['removed_from_flow', 'group_finding'],
    ],
    [
      'a flow deleted since: nothing to change here, the admins are told',
      { direct: true, groups: [] },
      'app',
      false,
      ['file_change_needed'],
    ],
  ] as const)('%s', (_rule, person, managedBy, exists, outcomes) => {
    expect(removalOutcomes({ direct: person.direct, groups: [...person.groups] }, managedBy, exists)).toEqual(outcomes);
  });

  it('a reviewer may not decide about themselves unless they are the only reviewer', () => {
    expect(selfReviewRefused('U1', 'U1', ['U1', 'U2'])).toBe(true);
    expect(selfReviewRefused('U1', 'U1', ['U1'])).toBe(false);
    expect(selfReviewRefused('U1', 'U3', ['U1', 'U2'])).toBe(false);
  });
});

describe('review: in ACCESS_CONFIG', () => {
  const file = (review: string) => `
resources:
  - { name: prod-db, type: database }
flows:
  - name: prod
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    ${review}
`;
  const parse = async (text: string) => AccessFileSchema.safeParse((await import('yaml')).parse(text));

  it('reads back as it was written (export)', async () => {
    const parsed = await parse(file('review: { every: 90d, reviewers: { users: [U0ADA], groups: [S0SEC] } }'));
    expect(parsed.success).toBe(true);
    const flow = flowFromFile(parsed.data!.flows[0]!);
    expect(flow.review).toEqual({ everyMinutes: 90 * DAY, reviewerUsers: ['U0ADA'], reviewerGroups: ['S0SEC'] });
    const back = toAccessFile([], [flow]) as { flows: Record<string, unknown>[] };
    expect(back.flows[0]!.review).toEqual({ every: '90d', reviewers: { users: ['U0ADA'], groups: ['S0SEC'] } });
  });

  it.each([
    ['no reviewers', 'review: { every: 90d, reviewers: {} }', 'must name at least one reviewer'],
    ['too often', 'review: { every: 2h, reviewers: { users: [U0ADA] } }', 'between 1d and 730d'],
    ['a misspelt field', 'review: { every: 90d, reviewer: { users: [U0ADA] } }', 'reviewer'],
  ])('refuses %s', async (_what, review, message) => {
    const parsed = await parse(file(review));
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error!.issues)).toContain(message);
  });

  it('App Home says what is missing, under the field', () => {
    expect(reviewProblem({ everyMinutes: NaN, reviewerUsers: ['U1'], reviewerGroups: [] })).toBe(
      'Review every 1 to 730 days.',
    );
    expect(reviewProblem({ everyMinutes: 30 * DAY, reviewerUsers: [], reviewerGroups: [] })).toBe(
      'Pick at least one reviewer or reviewer group.',
    );
    expect(reviewProblem(null)).toBeNull();
  });
});
