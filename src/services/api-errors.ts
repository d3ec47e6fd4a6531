import { isAppError, type AppError, type ErrorCode } from '../domain/errors.js';
import { ApiError } from '../domain/request-api.js';
import type { FieldErrors, FormField } from '../domain/request-form.js';

/** The request form's field names as the API spells them (CreateRequestBody, ExtendRequestBody). */
const FIELD_NAMES: Record<FormField, string> = {
  resources: 'resources',
  duration: 'duration_minutes',
  justification: 'justification',
  sshKey: 'ssh_public_key',
  startsAt: 'starts_at',
  onBehalf: 'on_behalf',
  fields: 'fields',
};

/** `field.<flow id>.<name>` (a flow's custom field) -> `fields.<name>`, as the API's body spells it. */
const apiName = (key: string) =>
  key.startsWith('field.') ? `fields.${key.slice(key.lastIndexOf('.') + 1)}` : (FIELD_NAMES[key as FormField] ?? key);

export function apiFields(errors: FieldErrors): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [apiName(k), String(v).replace(/`/g, '')]));
}

/** A refused request: 400 with a sentence per field and one that sums them up. */
export function invalidInput(fields: Record<string, string>): ApiError {
  const first = Object.values(fields)[0] ?? 'The request is not valid.';
  return new ApiError(400, {
    error: 'invalid_input',
    message: Object.keys(fields).length > 1 ? `${first} (and ${Object.keys(fields).length - 1} more)` : first,
    fields,
  });
}

export const notFound = (what = 'request') =>
  new ApiError(404, {
    error: 'not_found',
    message: `There is no ${what} with that id among yours.`,
  });

/** HTTP status and one sentence per expected failure, in plain text (Slack's sentences carry Slack markup). */
const ANSWERS: Partial<Record<ErrorCode, [number, string]>> = {
  not_found: [404, 'There is no request with that id among yours.'],
  not_allowed: [403, 'You cannot do that.'],
  guest_not_allowed: [403, 'Guests cannot request or approve access.'],
  already_decided: [409, 'This request was already decided; nothing changed.'],
  not_active: [409, 'That access is not active any more; nothing changed.'],
  invalid_input: [400, 'That input is not valid.'],
  nothing_requestable: [403, 'No approval flow lists you as a requester yet; ask an admin to add you to one.'],
  database_unavailable: [503, 'The bot cannot reach its database right now; try again in a minute.'],
  not_linked: [403, 'Link your company identity first: /access link in Slack.'],
  step_up_required: [403, 'This flow asks for a recent sign-in with the company identity provider first.'],
  name_taken: [409, 'That was done already; nothing changed.'],
};

function sentence(error: AppError): [number, string] | null {
  const d = error.details ?? {};
  // Someone else's request reads as unknown: its id tells the caller nothing.
  if (error.code === 'not_allowed' && d.own === false) return ANSWERS.not_found!;
  if (error.code === 'not_allowed' && d.reason === 'deactivated')
    return [403, 'Your Slack account is deactivated, so you cannot request or hold access.'];
  if (error.code === 'not_allowed' && d.reason === 'extension_pending')
    return [409, `An extension of this access (${String(d.requestId)}) is already waiting for the approvers.`];
  if (error.code === 'already_decided' && typeof d.status === 'string')
    return [409, `This request is already ${d.status === 'active' ? 'approved' : d.status}; nothing changed.`];
  if (error.code === 'not_active' && typeof d.status === 'string')
    return [409, `That access is ${d.status}, not active; nothing changed.`];
  return ANSWERS[error.code] ?? null;
}

/** The ApiError for an expected failure of a use case; anything else is rethrown as it is (a 500). */
export function toApiError(error: unknown): never {
  if (error instanceof ApiError) throw error;
  if (!isAppError(error)) throw error;
  const [status, message] = sentence(error) ?? [400, error.message];
  const code = status === 404 ? 'not_found' : error.code;
  throw new ApiError(status, { error: code, message });
}
