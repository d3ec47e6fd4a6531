/**
 * On-call vocabulary shared by flows, the on-call clients and the messages: which schedule or
 * escalation policy to ask (a reference), and what the service answered. Pure data and rules.
 */
export type OnCallService = 'pagerduty' | 'opsgenie';

/** One thing to ask an on-call service about. PagerDuty: a schedule or an escalation policy id; Opsgenie: a schedule name or id. */
export type OnCallRef =
  { service: 'pagerduty'; schedule?: string; escalationPolicy?: string } | { service: 'opsgenie'; schedule: string };

/** One person on call: their e-mail (how the Slack user is found), the escalation level (1: first) and the schedule's display name. */
export interface OnCallPerson {
  email: string;
  level: number;
  scheduleName: string;
  /** Not on call now but next (Opsgenie's next-on-calls, used as the next layer): escalation asks them, auto-approval never counts them. */
  next?: boolean;
}

export type OnCallAnswer =
  | { ok: true; people: OnCallPerson[] }
  /** The service could not be asked (down, refused the token, rate-limited twice, timed out). */
  | { ok: false; reason: string };

export const SERVICE_NAMES: Record<OnCallService, string> = { pagerduty: 'PagerDuty', opsgenie: 'Opsgenie' };

/** "PagerDuty schedule P123", "Opsgenie schedule ops-primary": how a reference is named in messages and errors. */
export function refLabel(ref: OnCallRef): string {
  if (ref.service === 'opsgenie') return `Opsgenie schedule ${ref.schedule}`;
  return ref.schedule
    ? `PagerDuty schedule ${ref.schedule}`
    : `PagerDuty escalation policy ${ref.escalationPolicy ?? '?'}`;
}

export const refKey = (ref: OnCallRef): string =>
  ref.service === 'opsgenie'
    ? `opsgenie:s:${ref.schedule}`
    : ref.schedule
      ? `pagerduty:s:${ref.schedule}`
      : `pagerduty:ep:${ref.escalationPolicy ?? ''}`;

/** The file's `on_call: { pagerduty: { schedules, escalation_policies }, opsgenie: { schedules } }` as a list of references. */
export interface OnCallFile {
  pagerduty?: { schedules: string[]; escalation_policies: string[] } | undefined;
  opsgenie?: { schedules: string[] } | undefined;
}

export function refsFromFile(f: OnCallFile | undefined): OnCallRef[] {
  if (!f) return [];
  return [
    ...(f.pagerduty?.schedules ?? []).map((schedule): OnCallRef => ({ service: 'pagerduty', schedule })),
    ...(f.pagerduty?.escalation_policies ?? []).map((escalationPolicy): OnCallRef => ({
      service: 'pagerduty',
      escalationPolicy,
    })),
    ...(f.opsgenie?.schedules ?? []).map((schedule): OnCallRef => ({ service: 'opsgenie', schedule })),
  ];
}

/** The references back to the file's shape, empty parts left out (undefined when there are none). */
export function refsToFile(refs: readonly OnCallRef[] | undefined): Record<string, unknown> | undefined {
  if (!refs?.length) return undefined;
  const pdSchedules = refs.flatMap((r) => (r.service === 'pagerduty' && r.schedule ? [r.schedule] : []));
  const pdPolicies = refs.flatMap((r) =>
    r.service === 'pagerduty' && !r.schedule && r.escalationPolicy ? [r.escalationPolicy] : [],
  );
  const ogSchedules = refs.flatMap((r) => (r.service === 'opsgenie' ? [r.schedule] : []));
  return {
    ...(pdSchedules.length + pdPolicies.length
      ? {
          pagerduty: {
            ...(pdSchedules.length ? { schedules: pdSchedules } : {}),
            ...(pdPolicies.length ? { escalation_policies: pdPolicies } : {}),
          },
        }
      : {}),
    ...(ogSchedules.length ? { opsgenie: { schedules: ogSchedules } } : {}),
  };
}

export const servicesOf = (refs: readonly OnCallRef[]): OnCallService[] => [...new Set(refs.map((r) => r.service))];

/** What asking a list of references found for one person: the first reference they are on call on, or the services that could not say. */
export type OnCallCheck = {
  onCall: { ref: OnCallRef; scheduleName: string } | null;
  unavailable: { service: OnCallService; reason: string }[];
};

/**
 * Is this e-mail on call (at any escalation level: every level counts as on call) on one of the
 * references? Answers are in the same order as `refs`. A service that could not answer is listed, so
 * the caller can say why no auto-approval was checked.
 */
export function onCallOn(
  refs: readonly OnCallRef[],
  answers: readonly OnCallAnswer[],
  email: string | null,
): OnCallCheck {
  const unavailable: OnCallCheck['unavailable'] = [];
  let onCall: OnCallCheck['onCall'] = null;
  refs.forEach((ref, i) => {
    const answer = answers[i];
    if (!answer) return;
    if (!answer.ok) {
      if (!unavailable.some((u) => u.service === ref.service))
        unavailable.push({ service: ref.service, reason: answer.reason });
      return;
    }
    const hit = email ? answer.people.find((p) => !p.next && p.email.toLowerCase() === email.toLowerCase()) : undefined;
    if (hit && !onCall) onCall = { ref, scheduleName: hit.scheduleName };
  });
  return { onCall, unavailable };
}

/** The people at exactly `level` across the answers (e-mails, deduplicated, in order). */
export function peopleAtLevel(answers: readonly OnCallAnswer[], level: number): string[] {
  const emails = answers.flatMap((a) =>
    a.ok ? a.people.filter((p) => p.level === level).map((p) => p.email.toLowerCase()) : [],
  );
  return [...new Set(emails)];
}

/** The sentence an approver message carries when a service could not be asked. */
export function unavailableNote(service: OnCallService, purpose: 'auto-approval' | 'approvers'): string {
  return purpose === 'auto-approval'
    ? `${SERVICE_NAMES[service]} could not be reached, so on-call auto-approval was not checked.`
    : `${SERVICE_NAMES[service]} could not be reached, so the on-call approvers were not asked.`;
}
