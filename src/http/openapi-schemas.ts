import { CHANNELS } from '../domain/request-api.js';
import { MAX_JUSTIFICATION, MAX_RESOURCES_PER_REQUEST } from '../domain/request-form.js';
import { REQUEST_STATUSES } from '../domain/request-lifecycle.js';
import { RESOURCE_TYPES } from '../domain/resource.js';

/**
 * The JSON Schemas (2020-12) of the request API's bodies and answers, domain/request-api.ts as it travels;
 * http/openapi.ts puts them under components.schemas and refers to them from its paths.
 */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });
const dateTime = { type: 'string', format: 'date-time' };
const object = (properties: Record<string, unknown>, optional: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
});

const TARGET_STATUSES = ['pending', 'active', 'failed', 'removing', 'removed'];

export const schemas = {
  ApiError: object(
    {
      error: { type: 'string', description: 'A code a program can branch on (invalid_input, not_found, …).' },
      message: { type: 'string', description: 'One sentence a person can read.' },
      fields: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'A sentence per refused field (resources, duration_minutes, justification, …).',
      },
    },
    ['fields'],
  ),
  Requestable: object(
    {
      name: { type: 'string' },
      type: { enum: [...RESOURCE_TYPES] },
      description: nullable({ type: 'string' }),
      tags: { type: 'array', items: { type: 'string' } },
      flow: { type: 'string', description: 'The flow a request of this resource alone goes through.' },
      max_duration_minutes: { type: 'integer' },
      durations_minutes: { type: 'array', items: { type: 'integer' } },
      justification: object({
        required: { type: 'boolean' },
        min_length: { type: 'integer' },
        pattern: nullable({ type: 'string' }),
        hint: nullable({ type: 'string' }),
      }),
      ticket_projects: { type: 'array', items: { type: 'string' } },
      fields: {
        type: 'array',
        description:
          'The flow’s custom request fields, as ACCESS_CONFIG writes them (name, label, type, required, hint, pattern, min_length, max_length, min, max, integer, options); left out when it has none.',
        items: {
          type: 'object',
          required: ['name', 'label', 'type'],
          properties: {
            name: { type: 'string' },
            label: { type: 'string' },
            type: { enum: ['text', 'number', 'select', 'date', 'user'] },
          },
        },
      },
    },
    ['fields'],
  ),
  Access: object({
    resource: { type: 'string' },
    status: { enum: TARGET_STATUSES },
    instructions: nullable({ type: 'string', description: 'How to use the access; never a secret.' }),
    credential: nullable(
      object({
        label: { type: 'string' },
        delivered_in: { const: 'slack_dm', description: 'Secrets go to Slack only.' },
      }),
    ),
    ssh_certificate: nullable({
      type: 'string',
      description: 'The OpenSSH certificate for your own public key (public: useless without your private key).',
    }),
  }),
  Request: object(
    {
      id: { type: 'string', pattern: '^req_[0-9a-z]+$' },
      kind: { enum: ['access', 'extension', 'break_glass'] },
      status: { enum: [...REQUEST_STATUSES] },
      flow: { type: 'string' },
      resources: { type: 'array', items: object({ name: { type: 'string' }, type: { enum: [...RESOURCE_TYPES] } }) },
      duration_minutes: { type: 'integer' },
      justification: { type: 'string' },
      fields: {
        type: 'object',
        additionalProperties: { type: ['string', 'number'] },
        description: 'The flow’s custom request fields as filled in, by name; left out when it has none.',
      },
      requester: { type: 'string', description: 'Slack user id of who gets the access.' },
      requested_by: nullable({
        type: 'string',
        description: 'Slack user id of who asked on the requester’s behalf (in Slack); null: the requester.',
      }),
      created_at: dateTime,
      decided_at: nullable(dateTime),
      decided_by: nullable({ type: 'string', description: 'Slack id, or rule:<name> for an auto-approval.' }),
      deny_reason: nullable({ type: 'string' }),
      starts_at: nullable(dateTime),
      extends: nullable({ type: 'string', description: 'The extended request, for an extension.' }),
      approvers: { type: 'array', items: { type: 'string' } },
      approvals: { type: 'array', items: object({ approver: { type: 'string' }, at: dateTime }) },
      approvals_required: { type: 'integer', description: 'Approvals the current stage needs.' },
      stage: nullable(
        object({
          number: { type: 'integer', minimum: 1, description: 'The stage being decided, from 1.' },
          of: { type: 'integer', minimum: 1 },
          name: { type: 'string' },
          passed: {
            type: 'array',
            items: object({ name: { type: 'string' }, by: { type: 'array', items: { type: 'string' } } }),
          },
        }),
      ),
      grant: nullable(
        object({
          id: { type: 'string' },
          status: { enum: ['active', 'expired', 'revoked'] },
          starts_at: dateTime,
          expires_at: dateTime,
        }),
      ),
      access: { type: 'array', items: ref('Access') },
      bundle: object({ id: { type: 'string' }, name: { type: 'string' } }, []),
      channel: { enum: [...CHANNELS] },
      agent: nullable({ type: 'string' }),
      names: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description:
          'Display names by Slack id of the people the request names; an id Slack could not name is left out.',
      },
    },
    ['requested_by', 'fields', 'bundle'],
  ),
  RequestableBundle: object({
    name: { type: 'string' },
    description: nullable({ type: 'string' }),
    parts: {
      type: 'array',
      items: object({
        resource: { type: 'string' },
        requested: nullable({
          type: 'object',
          description:
            'The scope this part asks for (a grant of the resource’s type); approvers may narrow it, never widen it.',
        }),
      }),
    },
    duration_minutes: nullable({
      type: 'integer',
      description: 'What a pick gets without duration_minutes: the bundle’s, among what its parts’ flows offer.',
    }),
    left_out: {
      type: 'array',
      items: { type: 'string' },
      description: 'Parts no flow lets you request: a pick leaves them out.',
    },
  }),
  BundlePick: object({
    id: { type: 'string', pattern: '^bdr_[0-9a-z]+$' },
    name: { type: 'string' },
    parts: {
      type: 'array',
      items: object({
        request_id: { type: 'string' },
        resources: { type: 'array', items: { type: 'string' } },
        status: { enum: [...REQUEST_STATUSES] },
      }),
    },
  }),
  CreateRequest: object(
    {
      resources: {
        type: 'array',
        items: { type: 'string' },
        minItems: 1,
        maxItems: MAX_RESOURCES_PER_REQUEST,
        description: 'Required without bundle; with it, the parts to request (left out: every part you may request).',
      },
      duration_minutes: {
        type: 'integer',
        minimum: 1,
        description: 'One of the flow’s durations_minutes; required without bundle (with it: the bundle’s).',
      },
      bundle: {
        type: 'string',
        description:
          'A bundle’s name (GET /api/v1/requestable lists yours): one request per flow of its parts, each with its requested scope.',
      },
      justification: { type: 'string', maxLength: MAX_JUSTIFICATION },
      starts_at: { ...dateTime, description: 'A scheduled start; left out: at approval.' },
      ssh_public_key: { type: 'string', description: 'One OpenSSH public key line, saved for SSH certificates.' },
      fields: {
        type: 'object',
        additionalProperties: { type: ['string', 'number'] },
        description:
          'The custom fields of the resources’ flows, by name (a select’s option, a date as yyyy-mm-dd, a person as a Slack id). A refused value comes back under fields.<name>.',
      },
    },
    ['resources', 'duration_minutes', 'bundle', 'starts_at', 'ssh_public_key', 'fields'],
  ),
  ExtendRequest: object({
    duration_minutes: { type: 'integer', minimum: 1 },
    justification: { type: 'string', maxLength: MAX_JUSTIFICATION },
  }),
  RequestList: object({ requests: { type: 'array', items: ref('Request') } }),
  RequestableList: object({
    resources: { type: 'array', items: ref('Requestable') },
    bundles: { type: 'array', items: ref('RequestableBundle') },
  }),
  CreatedRequests: object({ requests: { type: 'array', items: ref('Request') }, bundle: ref('BundlePick') }, [
    'bundle',
  ]),
  Wait: object({
    request: ref('Request'),
    changed: { type: 'boolean', description: 'Whether the status moved on from the one waited on.' },
  }),
  LoginMethods: object(
    {
      methods: { type: 'array', items: { enum: ['token', 'device'] } },
      device: object({
        issuer: { type: 'string', description: 'The OpenID Connect provider the CLI runs the device grant with.' },
        client_id: { type: 'string', description: 'The CLI’s public client there (OIDC_CLI_CLIENT_ID).' },
        scope: { type: 'string' },
      }),
    },
    ['device'],
  ),
  TokenExchange: object(
    {
      id_token: { type: 'string', description: 'The ID token the provider issued to the CLI’s client.' },
      name: { type: 'string', maxLength: 200, description: 'What to call the personal token.' },
    },
    ['name'],
  ),
  TokenExchanged: object({
    token: { type: 'string', description: 'The personal token, `ark_pat_…`, shown this once.' },
    id: { type: 'string', pattern: '^pat_[0-9a-z]+$' },
    name: { type: 'string' },
    expires_at: dateTime,
    user: { type: 'string', description: 'The Slack user it acts as.' },
  }),
  Me: object({
    user: object({ id: { type: 'string' }, name: { type: 'string' }, email: nullable({ type: 'string' }) }),
    token: object({ id: { type: 'string' }, name: { type: 'string' }, expires_at: dateTime }),
  }),
};
