import { formatDuration } from './duration.js';
import {
  durationsFor,
  justificationHint,
  justificationProblem,
  offeredDurations,
  planRequests,
  type Flow,
  type RequestableResource,
} from './flow.js';
import { startProblem } from './pending-lifecycle.js';
import { checkFieldValues, type RequestField, type StoredField } from './request-fields.js';

/**
 * What is wrong with a request form, field by field, before anything is stored or asked of anyone: the
 * server's own check of what the modal sent (the modal is never trusted). Pure; request-service.ts adds
 * the checks that need the database or outside services.
 */

/** Slack limits and readable approver messages: a request names at most this many resources. */
export const MAX_RESOURCES_PER_REQUEST = 10;
export const MAX_JUSTIFICATION = 2000;

export type FormField = 'resources' | 'duration' | 'justification' | 'sshKey' | 'startsAt' | 'onBehalf' | 'fields';
/** A flow's custom request field (domain/request-fields.ts): `field.<flow id>.<field name>`. */
export type CustomFieldKey = `field.${string}`;
export type FieldErrors = Partial<Record<FormField | CustomFieldKey, string>>;

export const customFieldKey = (flowId: string, name: string): CustomFieldKey => `field.${flowId}.${name}`;

/** What the form or API sent for custom fields: by flow (the Slack form), or by name for every flow (the API). */
export interface SentFields {
  fields?: Readonly<Record<string, unknown>> | undefined;
  flowFields?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
}

/**
 * Each planned flow's custom fields checked against what was sent (the form is never trusted): the values
 * to store per plan, and a sentence per bad field. A name sent by the API that no planned flow asks for
 * is refused, so a typo is not silently dropped.
 */
export function planFieldProblems(
  plans: readonly { flow: Pick<Flow, 'id' | 'fields'> }[],
  sent: SentFields,
): { values: StoredField[][]; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const values = plans.map(({ flow }) => {
    const raw = { ...sent.fields, ...sent.flowFields?.[flow.id] };
    const checked = checkFieldValues(flow.fields ?? [], raw);
    for (const [name, problem] of Object.entries(checked.errors)) errors[customFieldKey(flow.id, name)] = problem;
    return checked.values;
  });
  const asked = new Set(plans.flatMap((p) => (p.flow.fields ?? []).map((f) => f.name)));
  const unknown = Object.keys(sent.fields ?? {}).filter((n) => !asked.has(n));
  if (unknown.length)
    errors.fields = `No flow of these resources asks for ${unknown.map((n) => `“${n.slice(0, 32)}”`).join(', ')}.`;
  return { values, errors };
}

/** The picks themselves: which resources (of those this person may request), how long, from when. */
export function formProblems(f: {
  names: string[];
  selection: (RequestableResource | undefined)[];
  justification: string;
  durationMinutes: number | null;
  startsAt: Date | null;
  now: Date;
}): FieldErrors {
  const errors: FieldErrors = {};
  if (f.names.length === 0) errors.resources = 'Pick at least one resource.';
  else if (f.names.length > MAX_RESOURCES_PER_REQUEST)
    errors.resources = `Pick at most ${MAX_RESOURCES_PER_REQUEST} resources in one request.`;
  else if (f.selection.some((s) => !s)) {
    const bad = f.names.filter((_, i) => !f.selection[i]);
    errors.resources = `You cannot request ${bad.map((b) => `“${b.slice(0, 64)}”`).join(', ')}.`;
  }
  if (f.justification.length > MAX_JUSTIFICATION)
    errors.justification = `Keep it under ${MAX_JUSTIFICATION} characters.`;
  if (f.durationMinutes === null || !Number.isInteger(f.durationMinutes) || f.durationMinutes <= 0)
    errors.duration = 'Pick how long you need access.';
  const startError = f.startsAt ? startProblem(f.startsAt, f.now) : null;
  if (startError) errors.startsAt = startError;
  return errors;
}

/** Each flow's own rules for the requests it will hold: its durations and its justification rule. */
export function planProblems(
  plans: readonly {
    flow: Parameters<typeof offeredDurations>[0] & { justification: Parameters<typeof justificationProblem>[0] };
    resources: readonly { name: string }[];
  }[],
  duration: number,
  justification: string,
): FieldErrors {
  const errors: FieldErrors = {};
  for (const plan of plans) {
    const names = plan.resources.map((r) => r.name).join(', ');
    const offered = offeredDurations(plan.flow);
    if (duration > plan.flow.maxDurationMinutes)
      errors.duration = `${names} can be requested for at most ${formatDuration(plan.flow.maxDurationMinutes)}.`;
    else if (!offered.includes(duration))
      errors.duration = `${names} can be requested for ${offered.map(formatDuration).join(', ')}.`;
    const problem = justificationProblem(plan.flow.justification, justification);
    if (problem) errors.justification = problem;
  }
  return errors;
}

/** One flow's hint and the chosen resources it speaks for. */
export interface FormHint {
  text: string;
  resources: string[];
}

/** What the form offers and asks for, given what this person has picked so far. */
export interface FormRules {
  durations: number[];
  justificationOptional: boolean;
  /** Each distinct hint once; empty until something is picked (no one flow speaks for the whole form). */
  hints: FormHint[];
  /** The custom fields of the picked resources' flows, per flow (empty until something is picked). */
  fields: FormFieldGroup[];
}

/** One planned flow's custom fields, as the form asks for them. */
export interface FormFieldGroup {
  flowId: string;
  flowName: string;
  fields: RequestField[];
}

/**
 * The rules of the flows the chosen resources will be requested through (planRequests, as the submission
 * will plan them): together they are the strictest combination, the durations every one of them offers and a
 * justification when any asks for one. Nothing chosen yet: every duration some flow of this person offers,
 * a justification unless none of them asks for one, and no flow's hint.
 */
export function formRules(
  requestable: readonly RequestableResource[],
  chosen: readonly RequestableResource[],
): FormRules {
  if (chosen.length === 0) {
    return {
      durations: durationsFor(requestable),
      justificationOptional: requestable.every((r) => r.flows.every(asksNoJustification)),
      hints: [],
      fields: [],
    };
  }
  const plans = planRequests(chosen);
  const offers = plans.map((p) => offeredDurations(p.flow));
  const shared = offers[0]!.filter((d) => offers.every((o) => o.includes(d)));
  // Flows whose own duration lists share nothing: offer the strictest flow's; the submission says which fails.
  const strictest = plans.reduce((a, b) => (b.flow.maxDurationMinutes < a.flow.maxDurationMinutes ? b : a));
  const hints = new Map<string, string[]>();
  for (const plan of plans) {
    const text = justificationHint(plan.flow);
    if (text) hints.set(text, [...(hints.get(text) ?? []), ...plan.resources.map((r) => r.name)]);
  }
  return {
    durations: shared.length > 0 ? shared : offeredDurations(strictest.flow),
    justificationOptional: plans.every((p) => asksNoJustification(p.flow)),
    hints: [...hints].map(([text, resources]) => ({ text, resources })),
    fields: plans
      .filter((p) => p.flow.fields?.length)
      .map((p) => ({ flowId: p.flow.id, flowName: p.flow.name, fields: p.flow.fields! })),
  };
}

const asksNoJustification = (flow: Pick<Flow, 'justification'>) =>
  justificationProblem(flow.justification, '') === null;
