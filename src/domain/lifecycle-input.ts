import { isValidTimeZone, parseHours } from './auto-approve.js';
import { formatDuration } from './duration.js';
import type { FlowLifecycle } from './flow.js';
import { ResourceNameSchema, TagSchema } from './resource.js';

/** Lifecycle fields of the App Home flow editor, checked one by one so each problem shows under its input. */
export type LifecycleField =
  | 'remindAfter'
  | 'escalateAfter'
  | 'escalation'
  | 'pendingTtl'
  | 'autoApprove'
  | 'onCall'
  | 'breakGlass'
  | 'breakGlassMaxDuration'
  | 'breakGlassChannel';

const USER = /^[UW][A-Z0-9]{2,}$/;
const GROUP = /^S[A-Z0-9]{2,}$/;
const CHANNEL = /^[CG][A-Z0-9]{2,}$/;
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Nothing waits, reminds or lasts longer than this (the same ceiling as a flow's maximum). */
const CEILING = 90 * 1440;

const minutesOk = (m: number) => Number.isInteger(m) && m > 0 && m <= CEILING;

export function lifecycleProblems(
  l: FlowLifecycle,
  knownResources: ReadonlySet<string>,
): Partial<Record<LifecycleField, string>> {
  const e: Partial<Record<LifecycleField, string>> = {};
  if (!minutesOk(l.pendingTtlMinutes)) e.pendingTtl = 'Pick how long a request may wait.';
  const ttl = formatDuration(l.pendingTtlMinutes);
  if (l.remindAfterMinutes !== null) {
    if (!minutesOk(l.remindAfterMinutes)) e.remindAfter = 'Pick when to remind the approvers, or never.';
    else if (l.remindAfterMinutes >= l.pendingTtlMinutes)
      e.remindAfter = `Remind before a request expires (after ${ttl}).`;
  }
  const escalationPeople = l.escalationUsers.length + l.escalationGroups.length;
  // On-call approvers escalate to the next on-call level, so they count as someone to escalate to.
  const escalationTargets = escalationPeople + (l.onCallApprovers?.length ?? 0);
  if (l.escalationUsers.some((u) => !USER.test(u)) || l.escalationGroups.some((g) => !GROUP.test(g)))
    e.escalation = 'Pick Slack users and user groups.';
  else if (l.escalateAfterMinutes !== null && escalationTargets === 0)
    e.escalation = 'Pick who is told when a request waits too long.';
  if (l.escalateAfterMinutes !== null) {
    if (!minutesOk(l.escalateAfterMinutes)) e.escalateAfter = 'Pick when to escalate, or never.';
    else if (l.escalateAfterMinutes >= l.pendingTtlMinutes)
      e.escalateAfter = `Escalate before a request expires (after ${ttl}).`;
  } else if (escalationPeople > 0) e.escalateAfter = 'Pick when to escalate to these people, or remove them.';
  const rule = autoApproveProblem(l, knownResources);
  if (rule) e.autoApprove = rule;
  const b = l.breakGlass;
  if (b) {
    if (b.users.some((u) => !USER.test(u)) || b.groups.some((g) => !GROUP.test(g)))
      e.breakGlass = 'Pick Slack users and user groups.';
    else if (b.users.length + b.groups.length === 0) e.breakGlass = 'Pick who may break the glass.';
    if (!minutesOk(b.maxDurationMinutes)) e.breakGlassMaxDuration = 'Pick how long break-glass access may last.';
    if (b.channel !== null && !CHANNEL.test(b.channel)) e.breakGlassChannel = 'Pick a channel.';
  }
  return e;
}

/** The first problem of the auto-approval rules, naming the rule. */
function autoApproveProblem(l: FlowLifecycle, knownResources: ReadonlySet<string>): string | null {
  if (l.autoApprove.length > 20) return 'At most 20 rules.';
  const names = new Set<string>();
  for (const r of l.autoApprove) {
    const rule = `Rule “${r.name.slice(0, 64)}”`;
    if (!RULE_NAME.test(r.name)) return `${rule}: use letters, digits, - _ . in the name (up to 64).`;
    if (names.has(r.name)) return `${rule}: another rule has this name.`;
    names.add(r.name);
    const unknown = r.resourceNames.filter((n) => !ResourceNameSchema.safeParse(n).success || !knownResources.has(n));
    if (unknown.length > 0) return `${rule}: unknown resource ${unknown.join(', ')}.`;
    if (r.resourceTags.some((t) => !TagSchema.safeParse(t).success))
      return `${rule}: tags use lower-case letters, digits, - _ . :`;
    if (!minutesOk(r.maxDurationMinutes)) return `${rule}: give a max_duration like 1h.`;
    if (r.weekdays.length === 0 || r.weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
      return `${rule}: weekdays are mon … sun (or 1-7).`;
    if (!parseHours(`${r.from}-${r.to}`)) return `${rule}: hours are a window like "09:00-17:00".`;
    if (!isValidTimeZone(r.timeZone)) return `${rule}: ${r.timeZone} is not a time zone; use one like Europe/Berlin.`;
  }
  return null;
}
