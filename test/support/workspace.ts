import type { FakeUser, FakeUsergroup } from '../../doubles/slack/fake-slack.js';

/** The sample workspace every journey test runs in. */
export const PEOPLE = {
  requester: 'U0REQ',
  approver: 'U0APPR',
  dba: 'U0DBA1',
  other: 'U0OTHER',
  guest: 'U0GUEST',
  admin: 'U0ADMIN',
  supporter: 'U0SUPP2',
  workspaceAdmin: 'U0WSADM',
} as const;

export const USERS: FakeUser[] = [
  { id: PEOPLE.requester, name: 'rita', realName: 'Rita Requester', email: 'rita@example.com' },
  { id: PEOPLE.approver, name: 'alex', realName: 'Alex Approver' },
  { id: PEOPLE.dba, name: 'dana', realName: 'Dana DBA' },
  { id: PEOPLE.other, name: 'oscar', realName: 'Oscar Other' },
  { id: PEOPLE.guest, name: 'gus', realName: 'Gus Guest', isRestricted: true },
  { id: PEOPLE.admin, name: 'ada', realName: 'Ada Admin' },
  { id: PEOPLE.supporter, name: 'sam', realName: 'Sam Support' },
  { id: PEOPLE.workspaceAdmin, name: 'wanda', realName: 'Wanda Workspace-Admin', isAdmin: true },
  // Many more people, for tests with long lists of requesters and approvers.
  ...Array.from({ length: 60 }, (_, i) => ({ id: `U0BULK${String(i).padStart(3, '0')}`, name: `bulk${i}` })),
];

export const GROUPS: FakeUsergroup[] = [
  { id: 'S0SUPPORT', handle: 'support', name: 'Support', users: [PEOPLE.supporter, PEOPLE.guest] },
  { id: 'S0DBTEAM', handle: 'dba', name: 'DB team', users: [PEOPLE.dba] },
];

export const ACCESS_FILE = `
resources:
  - name: prod-db
    type: database
    tags: [production, postgres]
    description: Production PostgreSQL
  - name: web-1
    type: ssh
    tags: [production]
    description: Production web server
  - name: k8s-prod
    type: kubernetes
    tags: [production]
  - name: grafana
    type: http
    tags: [observability]
  - name: staging-db
    type: database
    tags: [staging]
flows:
  - name: support-prod
    description: Support may request production access; the DB team approves
    resources: { names: [prod-db], tags: [production] }
    requesters: { users: [U0REQ], groups: [S0SUPPORT] }
    approvers:  { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
  - name: staging-self-service
    resources: { names: [staging-db] }
    requesters: { users: [U0REQ, U0APPR] }
    approvers: { users: [U0APPR] }
    max_duration: 1h
    allow_self_approval: true
`;
