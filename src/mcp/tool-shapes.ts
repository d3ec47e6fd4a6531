import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { REQUEST_STATUSES } from '../domain/request-lifecycle.js';
import type { RequestableDto, RequestDto, WaitDto } from '../domain/request-api.js';
import { RESOURCE_TYPES } from '../domain/resource.js';

/**
 * The MCP tools' input and output schemas (zod 4, which the SDK accepts: it turns them into the JSON
 * Schema an agent reads, and validates every call before a tool runs). Every refusal a schema can give is
 * written as a sentence, because the SDK hands the message to the agent as the tool's error result.
 * The outputs mirror domain/request-api.ts's DTOs; the checks at the bottom fail to compile when a DTO
 * drifts from its schema. Objects are loose so a field the API adds later does not break a client's check.
 */

const requestId = z
  .string({ error: 'Give the request id, as request_access or list_my_requests returned it (req_…).' })
  .trim()
  .min(1, { error: 'Give the request id, as request_access or list_my_requests returned it (req_…).' })
  .max(64, { error: 'That is not a request id: ids look like req_7f3k2m9x4q.' })
  .describe('The request id (req_…), as request_access or list_my_requests returned it.');

/** Minutes from a tool's duration: a number or digits are minutes, else "1h30m" and the like. */
export function durationMinutes(d: string | number): number | undefined {
  if (typeof d === 'number') return d;
  if (/^\s*\d+\s*$/.test(d)) return Number(d) > 0 ? Number(d) : undefined;
  return parseDuration(d);
}

export const RequestIdInput = { request_id: requestId };

const JUSTIFICATION_NEEDED =
  'A justification is required: say in a sentence why the access is needed (the task, incident or ticket).';

export const RequestAccessInput = {
  resources: z
    .array(z.string().trim().min(1).max(200), { error: 'Name the resources to request, as a list of names.' })
    .min(1, { error: 'Name at least one resource (see list_requestable_resources).' })
    .max(20, { error: 'At most 20 resources in one call.' })
    .optional()
    .describe(
      'Names of the resources to request, exactly as list_requestable_resources gives them. Required unless ' +
        "bundle is given (then: the bundle's parts, left out to request them all).",
    ),
  bundle: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe(
      'Optional: a bundle (access profile) from list_requestable_resources: its parts, each limited to the scope ' +
        "it asks for, one request per flow. Resources and duration then default to the bundle's.",
    ),
  duration: z
    .union([z.string().max(20), z.number().int().positive().max(525_600)], {
      error: 'Give the duration as text like "30m", "1h", "1h30m" or "1d", or as a whole number of minutes.',
    })
    .refine((d) => durationMinutes(d) !== undefined, {
      error: 'That is not a duration: write it like "30m", "1h", "1h30m" or "1d", or give a number of minutes.',
    })
    .optional()
    .describe(
      'How long the access should last: "30m", "1h", "1h30m", "1d", or a whole number of minutes. ' +
        "At most the resource's max_duration_minutes; ask for no more than the task needs. Required unless " +
        "bundle is given (then: the bundle's duration).",
    ),
  justification: z
    .string({ error: JUSTIFICATION_NEEDED })
    .trim()
    .min(1, { error: JUSTIFICATION_NEEDED })
    .max(2000, { error: 'Keep the justification under 2000 characters.' })
    .describe(
      'Required. Why the access is needed, in words the approver can check: the task, incident or ticket ' +
        '(e.g. "INC-42: read the orders table to find the stuck payment"). Some resources require more ' +
        '(a minimum length, a pattern, or a Jira ticket key): list_requestable_resources says which.',
    ),
  starts_at: z
    .string()
    .max(40)
    // Checked here rather than with z.iso.datetime(), whose JSON Schema pattern is a screenful an agent must read.
    .refine((t) => /^\d{4}-\d\d-\d\dT/.test(t) && !Number.isNaN(Date.parse(t)), {
      error: 'starts_at must be an ISO 8601 time, e.g. 2030-01-31T09:00:00Z.',
    })
    .optional()
    .describe('Optional: a later start, ISO 8601 (2030-01-31T09:00:00Z). Leave out to start once approved.'),
  fields: z
    .record(z.string().max(32), z.union([z.string().max(500), z.number()]))
    .optional()
    .describe(
      "Only when the resource's flow asks for fields (list_requestable_resources gives them): name -> value, " +
        'e.g. {"severity": "sev1", "incident": "INC-42"}; a select takes one of its options, a date yyyy-mm-dd, a user a Slack id.',
    ),
  ssh_public_key: z
    .string()
    .max(16_384)
    .optional()
    .describe('Only for SSH resources: the OpenSSH public key line (ssh-ed25519 AAAA…) to sign a certificate for.'),
  idempotency_key: z
    .string()
    .min(8)
    .max(200)
    .optional()
    .describe('Optional: a unique string of yours; calling again with the same key returns the same request.'),
};

export const ListMineInput = {
  status: z
    .enum(REQUEST_STATUSES)
    .optional()
    .describe('Only requests in this status (pending, active, …). Leave out for all recent requests.'),
  limit: z.number().int().min(1).max(100).optional().describe('At most this many, newest first (default 20).'),
};

export const WaitInput = {
  ...RequestIdInput,
  timeout_seconds: z
    .number()
    .int()
    .min(1)
    .max(60)
    .optional()
    .describe('How long to wait for a change, 1 to 60 seconds (default 60). Call again to keep waiting.'),
};

const RequestableSchema = z.looseObject({
  name: z.string(),
  type: z.enum(RESOURCE_TYPES),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  flow: z.string(),
  max_duration_minutes: z.number(),
  durations_minutes: z.array(z.number()),
  justification: z.looseObject({
    required: z.boolean(),
    min_length: z.number(),
    pattern: z.string().nullable(),
    hint: z.string().nullable(),
  }),
  ticket_projects: z.array(z.string()),
});

const AccessSchema = z.looseObject({
  resource: z.string(),
  status: z.string(),
  instructions: z.string().nullable(),
  credential: z.looseObject({ label: z.string(), delivered_in: z.string() }).nullable(),
  ssh_certificate: z.string().nullable(),
});

const RequestSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  status: z.enum(REQUEST_STATUSES),
  flow: z.string(),
  resources: z.array(z.looseObject({ name: z.string(), type: z.string() })),
  duration_minutes: z.number(),
  justification: z.string(),
  fields: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  requester: z.string(),
  requested_by: z.string().nullable().optional(),
  created_at: z.string(),
  decided_at: z.string().nullable(),
  decided_by: z.string().nullable(),
  deny_reason: z.string().nullable(),
  starts_at: z.string().nullable(),
  extends: z.string().nullable(),
  approvers: z.array(z.string()),
  approvals: z.array(z.looseObject({ approver: z.string(), at: z.string() })),
  approvals_required: z.number(),
  stage: z
    .looseObject({
      number: z.number(),
      of: z.number(),
      name: z.string(),
      passed: z.array(z.looseObject({ name: z.string(), by: z.array(z.string()) })),
    })
    .nullable(),
  grant: z
    .looseObject({ id: z.string(), status: z.string(), starts_at: z.string(), expires_at: z.string() })
    .nullable(),
  access: z.array(AccessSchema),
  channel: z.string(),
  agent: z.string().nullable(),
  names: z.record(z.string(), z.string()),
  bundle: z.looseObject({ id: z.string(), name: z.string() }).optional(),
});

const RequestableBundleSchema = z.looseObject({
  name: z.string(),
  description: z.string().nullable(),
  parts: z.array(z.looseObject({ resource: z.string(), requested: z.record(z.string(), z.unknown()).nullable() })),
  duration_minutes: z.number().nullable(),
  left_out: z.array(z.string()),
});

export const RequestableOutput = { resources: z.array(RequestableSchema), bundles: z.array(RequestableBundleSchema) };
export const RequestsOutput = {
  requests: z.array(RequestSchema),
  bundle: z
    .looseObject({
      id: z.string(),
      name: z.string(),
      parts: z.array(z.looseObject({ request_id: z.string(), resources: z.array(z.string()), status: z.string() })),
    })
    .optional(),
};
export const RequestOutput = { request: RequestSchema };
export const WaitOutput = { request: RequestSchema, changed: z.boolean() };

// A DTO that no longer fits its schema fails here, at compile time, not in an agent's client.
// (Loose objects add an index signature, which an interface never fits: compare the named fields only.)
type Named<T> = T extends readonly (infer U)[]
  ? Named<U>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: Named<T[K]> }
    : T;
type Fits<Dto, Schema extends z.ZodType> = Dto extends Named<z.input<Schema>> ? true : never;
export const SHAPES_FIT: [
  Fits<RequestableDto, typeof RequestableSchema>,
  Fits<RequestDto, typeof RequestSchema>,
  Fits<WaitDto, z.ZodObject<typeof WaitOutput>>,
] = [true, true, true];
