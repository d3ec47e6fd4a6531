import { randomBytes } from 'node:crypto';
import { startPagerDutyDouble } from '../doubles/pagerduty/pagerduty-double.js';
import type { SandboxClock } from './clock.js';
import type { SandboxPerson } from './workspace.js';

/**
 * The sandbox's PagerDuty: a schedule ("Sandbox on-call", PSANDBX) that Dana covers every day, and the
 * page's switch that puts the person it shows on call for the next 12 hours (a schedule override) or
 * takes them off, so a visitor watches the production flow's on-call rule approve Rita at once.
 */
export const SANDBOX_SCHEDULE = 'PSANDBX';
const ON_CALL_HOURS = 12;

export interface SandboxOnCall {
  env: { PAGERDUTY_API_TOKEN: string; PAGERDUTY_API_URL: string };
  /** Who is on call now (Slack user ids), and the schedule's name, for the page. */
  view(): { schedule: string; onCall: string[] };
  set(userId: string, on: boolean): void;
  stop(): Promise<void>;
}

export async function startSandboxOnCall(
  people: readonly SandboxPerson[],
  clock: SandboxClock,
  coveredBy: string,
): Promise<SandboxOnCall> {
  const token = `u+${randomBytes(12).toString('hex')}`;
  const pd = await startPagerDutyDouble({ token });
  const pdId = (slackId: string) => `PU${slackId.replace(/^U0?/, '').toUpperCase().padEnd(5, 'X')}`;
  for (const p of people) if (p.email) pd.addUser({ id: pdId(p.id), name: p.realName ?? p.name, email: p.email });
  pd.addSchedule({
    id: SANDBOX_SCHEDULE,
    name: 'Sandbox on-call',
    timeZone: 'Europe/Berlin',
    layers: [{ members: [pdId(coveredBy)], start: '2026-01-01T09:00', timeZone: 'Europe/Berlin', turnHours: 24 }],
  });
  pd.addPolicy({ id: 'PSBXPOL', name: 'Sandbox', rules: [{ targets: [{ type: 'schedule', id: SANDBOX_SCHEDULE }] }] });
  const slackIdOf = (pdUser: string) => people.find((p) => pdId(p.id) === pdUser)?.id ?? pdUser;

  return {
    env: { PAGERDUTY_API_TOKEN: token, PAGERDUTY_API_URL: pd.url },
    view() {
      const s = pd.schedules.get(SANDBOX_SCHEDULE)!;
      const now = clock.now().getTime();
      const overridden = s.overrides
        .filter((o) => o.start.getTime() <= now && now < o.end.getTime())
        .map((o) => slackIdOf(o.member));
      return { schedule: s.name, onCall: overridden.length ? [...new Set(overridden)] : [coveredBy] };
    },
    set(userId, on) {
      const s = pd.schedules.get(SANDBOX_SCHEDULE)!;
      s.overrides = s.overrides.filter((o) => o.member !== pdId(userId));
      const now = clock.now();
      if (on)
        s.overrides.push({
          member: pdId(userId),
          start: new Date(now.getTime() - 60_000),
          end: new Date(now.getTime() + ON_CALL_HOURS * 3_600_000),
        });
    },
    stop: () => pd.stop(),
  };
}
