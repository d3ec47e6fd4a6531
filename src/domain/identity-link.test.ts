import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AccessFileSchema } from './access-file.js';
import { flowFromFile, toAccessFile } from './access-file-mapping.js';
import { firstLinkRefusal, mappedEmail, reauthenticated, stepUpRefusal, type IdentityLink } from './identity-link.js';

const now = new Date('2026-12-03T12:00:00Z');
const link = (minutesAgo: number | null, amr: string[] = ['pwd'], acr: string | null = null): IdentityLink => ({
  slackUserId: 'U1',
  issuer: 'https://idp',
  subject: 's',
  email: 'a@corp',
  emailVerified: true,
  linkedAt: now,
  authTime: minutesAgo === null ? null : new Date(now.getTime() - minutesAgo * 60_000),
  amr,
  acr,
  signedInAt: now,
});
const rule = { requireLink: false, stepUpMinutes: 15, requireMfa: true };

describe('step-up', () => {
  it.each([
    ['no rule', null, link(600), null],
    ['no step-up in the rule', { ...rule, stepUpMinutes: null }, null, null],
    ['never signed in', rule, null, 'step_up_required'],
    ['no auth_time', rule, link(null, ['mfa']), 'step_up_required'],
    ['signed in 16 minutes ago', rule, link(16, ['mfa']), 'step_up_required'],
    ['auth_time five minutes in the future', rule, link(-5, ['mfa']), 'step_up_required'],
    ['fresh, password only', rule, link(1, ['pwd']), 'mfa_required'],
    ['fresh, mfa', rule, link(1, ['pwd', 'mfa']), null],
    ['fresh, hardware key', rule, link(14, ['hwk']), null],
    ['fresh, acr phishing-resistant', rule, link(1, ['pwd'], 'phr'), null],
    ['fresh, password only, MFA not asked', { ...rule, requireMfa: false }, link(1), null],
  ] as const)('%s', (_name, r, l, expected) => {
    expect(stepUpRefusal(r, l, now)).toBe(expected);
  });

  it('maps by the linked e-mail only when the provider verified it', () => {
    expect(mappedEmail({ email: 'a@corp', emailVerified: true }, 'a@slack')).toBe('a@corp');
    expect(mappedEmail({ email: 'a@corp', emailVerified: false }, 'a@slack')).toBe('a@slack');
    expect(mappedEmail(null, null)).toBeNull();
  });
});

describe('a first link', () => {
  it.each([
    ['the same e-mail, any case', 'Rita@Corp.Example', true, 'rita@corp.example', null],
    ['another e-mail', 'mallory@corp.example', true, 'rita@corp.example', 'email_mismatch'],
    ['an unverified e-mail', 'rita@corp.example', false, 'rita@corp.example', 'no_verified_email'],
    ['no e-mail from the provider', null, true, 'rita@corp.example', 'no_verified_email'],
    ['no e-mail in Slack', 'rita@corp.example', true, null, 'no_slack_email'],
  ] as const)('%s', (_name, email, emailVerified, slack, expected) => {
    expect(firstLinkRefusal({ email, emailVerified }, slack)).toBe(expected);
  });
});

describe('a step-up sign-in re-authenticated', () => {
  it('only when auth_time is after the sign-in started (a minute of skew allowed)', () => {
    expect(reauthenticated(new Date(now.getTime() + 5_000), now)).toBe(true);
    expect(reauthenticated(new Date(now.getTime() - 59_000), now)).toBe(true);
    expect(reauthenticated(new Date(now.getTime() - 61_000), now)).toBe(false);
    expect(reauthenticated(null, now)).toBe(false);
  });
});

describe('the identity setting in ACCESS_CONFIG', () => {
  const file = (identity: string) => `
resources: [{ name: db, type: database }]
flows:
  - name: f
    resources: { names: [db] }
    requesters: { users: [U0A] }
    approvers: { users: [U0B] }
    ${identity}
`;

  it('reads and writes back require_link, step_up_minutes and require_mfa', () => {
    const parsed = AccessFileSchema.parse(
      parse(file('identity: { require_link: true, step_up_minutes: 15, require_mfa: true }')),
    );
    const flow = flowFromFile(parsed.flows[0]!);
    expect(flow.identity).toEqual({ requireLink: true, stepUpMinutes: 15, requireMfa: true });
    const back = toAccessFile([], [flow]) as { flows: Array<Record<string, unknown>> };
    expect(back.flows[0]!.identity).toEqual({ require_link: true, step_up_minutes: 15, require_mfa: true });
    const plain = flowFromFile(AccessFileSchema.parse(parse(file(''))).flows[0]!);
    expect(plain.identity).toBeNull();
    expect((toAccessFile([], [plain]) as { flows: Array<Record<string, unknown>> }).flows[0]).not.toHaveProperty(
      'identity',
    );
  });

  it('refuses require_mfa without step_up_minutes', () => {
    expect(AccessFileSchema.safeParse(parse(file('identity: { require_mfa: true }'))).success).toBe(false);
  });
});
