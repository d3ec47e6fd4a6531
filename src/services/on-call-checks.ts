import type { FieldValues } from '../domain/request-fields.js';
import { ruleCoversRequest } from '../domain/auto-approve.js';
import type { AutoApproveRule, Flow } from '../domain/flow.js';
import {
  onCallOn,
  peopleAtLevel,
  refLabel,
  SERVICE_NAMES,
  unavailableNote,
  type OnCallRef,
} from '../domain/on-call.js';
import type { Resource } from '../domain/resource.js';
import type { Directory, OnCallDirectory } from './ports.js';

/**
 * What the on-call services say about one planned request, asked before its transaction (never inside
 * it): which auto-approval rules the requester's being on call satisfies, who is on call to approve,
 * and the notes to keep on the request when a service could not be asked.
 */
export interface OnCallFindings {
  /** Rule name -> where the requester is on call ("PagerDuty schedule “Primary” (P123)"). */
  onCallRules: Map<string, string>;
  /** Slack ids of the people on call (first level) on the flow's on-call approver references. */
  approvers: string[];
  notes: string[];
}

const NONE: OnCallFindings = { onCallRules: new Map(), approvers: [], notes: [] };

/** "PagerDuty schedule “Primary on-call” (P123)": the schedule's display name and the id from the flow. */
export function onCallBasis(ref: OnCallRef, scheduleName: string): string {
  const id = ref.service === 'opsgenie' ? ref.schedule : (ref.schedule ?? ref.escalationPolicy ?? '');
  const kind = ref.service === 'pagerduty' && !ref.schedule ? 'escalation policy' : 'schedule';
  return scheduleName && scheduleName !== id
    ? `${SERVICE_NAMES[ref.service]} ${kind} “${scheduleName}” (${id})`
    : refLabel(ref);
}

async function ask(onCall: OnCallDirectory | undefined, refs: readonly OnCallRef[], at: Date) {
  return Promise.all(
    refs.map((ref) =>
      onCall
        ? onCall.whoIsOnCall(ref, at)
        : Promise.resolve({ ok: false as const, reason: 'no on-call service is configured' }),
    ),
  );
}

/** Slack ids for on-call e-mails (people without a Slack account under that e-mail are left out). */
export async function slackIdsFor(directory: Directory, emails: readonly string[]): Promise<string[]> {
  if (!directory.userIdByEmail) return [];
  const ids = await Promise.all(emails.map((e) => directory.userIdByEmail!(e).catch(() => null)));
  return [...new Set(ids.filter((id): id is string => Boolean(id)))];
}

export async function onCallFindings(
  deps: { onCall?: OnCallDirectory | undefined; directory: Directory },
  input: {
    flow: Flow;
    resources: readonly Resource[];
    durationMinutes: number;
    /** The request's custom field values: a rule whose field condition fails is not worth a call. */
    fields?: FieldValues;
    requesterId: string;
    requesterEmail: () => Promise<string | null>;
    now: Date;
    /** Asked by someone else for the requester: only rules that take such requests are worth a call. */
    onBehalf?: boolean;
  },
): Promise<OnCallFindings> {
  const { flow, now } = input;
  // Only rules that otherwise cover the request are worth a call: the others cannot approve it anyway.
  const candidates = flow.lifecycle.autoApprove.filter(
    (r): r is AutoApproveRule & { onCall: OnCallRef[] } =>
      Boolean(r.onCall?.length) &&
      ruleCoversRequest(
        r,
        {
          resources: input.resources,
          durationMinutes: input.durationMinutes,
          onBehalf: Boolean(input.onBehalf),
          fields: input.fields ?? {},
        },
        now,
      ),
  );
  const approverRefs = flow.lifecycle.onCallApprovers ?? [];
  if (candidates.length === 0 && approverRefs.length === 0) return NONE;
  const findings: OnCallFindings = { onCallRules: new Map(), approvers: [], notes: [] };
  // Every reference at once: each lookup has its own budget, and the form's answer waits for the slowest.
  const [email, ruleAnswers, approverAnswers] = await Promise.all([
    candidates.length > 0 ? input.requesterEmail() : Promise.resolve(null),
    Promise.all(candidates.map((rule) => ask(deps.onCall, rule.onCall, now))),
    ask(deps.onCall, approverRefs, now),
  ]);
  candidates.forEach((rule, i) => {
    const check = onCallOn(rule.onCall, ruleAnswers[i]!, email);
    if (check.onCall) findings.onCallRules.set(rule.name, onCallBasis(check.onCall.ref, check.onCall.scheduleName));
    else for (const u of check.unavailable) findings.notes.push(unavailableNote(u.service, 'auto-approval'));
  });
  if (approverRefs.length > 0) {
    approverAnswers.forEach((a, i) => {
      if (!a.ok) findings.notes.push(unavailableNote(approverRefs[i]!.service, 'approvers'));
    });
    const ids = await slackIdsFor(deps.directory, peopleAtLevel(approverAnswers, 1));
    findings.approvers = ids.filter((id) => id !== input.requesterId || flow.allowSelfApproval);
  }
  findings.notes = [...new Set(findings.notes)];
  return findings;
}

/**
 * Who escalation adds from on call (docs/on-call.md, hand-off): whoever is on call at that moment at
 * the first level (a hand-off since the request arrived brings in the new person) and the next level.
 */
export async function onCallEscalation(
  deps: { onCall?: OnCallDirectory | undefined; directory: Directory },
  flow: Flow,
  now: Date,
): Promise<string[]> {
  const refs = flow.lifecycle.onCallApprovers ?? [];
  if (refs.length === 0) return [];
  const answers = await ask(deps.onCall, refs, now);
  return slackIdsFor(deps.directory, [...peopleAtLevel(answers, 1), ...peopleAtLevel(answers, 2)]);
}
