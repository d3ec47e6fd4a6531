import type { FakeChannel, FakeUser, FakeUsergroup } from '../doubles/slack/fake-slack.js';

/**
 * The simulated workspace of the sandbox. The ids are fixed because examples/sandbox-access.yml names
 * them; `role` is what the page says about each person so a visitor knows whom to try.
 */
export const SANDBOX_PEOPLE = {
  requester: 'U0RITA',
  approver: 'U0ALEX',
  secondApprover: 'U0DANA',
  admin: 'U0ADA',
  guest: 'U0GUS',
} as const;

/** The Slack custom profile field holding each person's GitHub login (the github resource maps people by it). */
export const GITHUB_FIELD = 'Xf0SANDBOXGH';

export interface SandboxPerson extends FakeUser {
  role: string;
}

export const SANDBOX_USERS: SandboxPerson[] = [
  {
    id: SANDBOX_PEOPLE.requester,
    name: 'rita',
    fields: { [GITHUB_FIELD]: 'rita-dev' },
    realName: 'Rita Requester',
    email: 'rita@example.com',
    tz: 'Europe/Berlin',
    role: 'Engineer: requests access',
  },
  {
    id: SANDBOX_PEOPLE.approver,
    name: 'alex',
    fields: { [GITHUB_FIELD]: 'alex-ops' },
    realName: 'Alex Approver',
    email: 'alex@example.com',
    tz: 'America/New_York',
    role: 'Ops: approves production access',
  },
  {
    id: SANDBOX_PEOPLE.secondApprover,
    name: 'dana',
    fields: { [GITHUB_FIELD]: 'dana-ops' },
    realName: 'Dana Ops',
    email: 'dana@example.com',
    tz: 'Asia/Tokyo',
    role: 'Ops: second approver for Kubernetes',
  },
  {
    id: SANDBOX_PEOPLE.admin,
    name: 'ada',
    fields: { [GITHUB_FIELD]: 'ada-admin' },
    realName: 'Ada Admin',
    email: 'ada@example.com',
    tz: 'UTC',
    role: 'Admin: edits flows and resources in App Home',
  },
  {
    id: SANDBOX_PEOPLE.guest,
    name: 'gus',
    realName: 'Gus Guest',
    email: 'gus@partner.example',
    isRestricted: true,
    role: 'Guest: may neither request nor approve',
  },
];

export const SANDBOX_GROUPS: FakeUsergroup[] = [
  {
    id: 'S0ENG',
    handle: 'engineering',
    name: 'Engineering',
    users: [SANDBOX_PEOPLE.requester, SANDBOX_PEOPLE.admin, SANDBOX_PEOPLE.guest],
  },
  { id: 'S0OPS', handle: 'ops', name: 'Ops', users: [SANDBOX_PEOPLE.approver, SANDBOX_PEOPLE.secondApprover] },
];

/** A channel to pick when an admin sets a flow's notify channel in App Home. */
export const SANDBOX_CHANNELS: FakeChannel[] = [{ id: 'C0OPS', name: 'ops-approvals' }];
