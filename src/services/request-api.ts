import type { Logger } from 'pino';
import { z } from 'zod';
import { readyNotesOf } from '../db/grant-queries.js';
import type { RequestDetails } from '../db/request-queries.js';
import {
  ApiError,
  type AccessApi,
  type ApiPrincipal,
  type CreateRequestBody,
  type ExtendRequestBody,
  type RequestDto,
} from '../domain/request-api.js';
import { peopleOf, requestableBundleDto, requestableDto, requestDto, waitIsOver } from '../domain/request-dto.js';
import { bundleDurationFor } from './bundle-submit.js';
import { MAX_JUSTIFICATION, MAX_RESOURCES_PER_REQUEST } from '../domain/request-form.js';
import { REQUEST_STATUSES, type RequestStatus } from '../domain/request-lifecycle.js';
import type { RequestOrigin } from '../domain/request-origin.js';
import { apiFields, invalidInput, notFound, toApiError } from './api-errors.js';
import type { ServiceDeps } from './deps.js';
import type { ExtensionService } from './extension-service.js';
import type { GrantService } from './grant-service.js';
import type { RequestActions } from './request-actions.js';
import type { RequestService } from './request-service.js';
import { createRequestWatcher, type Listen } from './request-watch.js';

export const WAIT_DEFAULT_SECONDS = 25;
export const WAIT_MAX_SECONDS = 60;
export const LIST_DEFAULT = 20;
export const LIST_MAX = 100;

const REQUEST_ID = /^req_[0-9a-z]{6,20}$/;
/** An Idempotency-Key: what a client picks (a UUID, usually); printable, bounded. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** What a request and an extension share; the flows' own limits are checked by the use cases. */
const asked = {
  duration_minutes: z
    .number()
    .int()
    .positive()
    .max(10 * 366 * 1440),
  justification: z.string().max(MAX_JUSTIFICATION),
};
const CreateSchema = z
  .strictObject({
    // With a bundle, the resources and the duration default to the bundle's (services/bundle-submit.ts).
    resources: z.array(z.string().max(64)).min(1).max(MAX_RESOURCES_PER_REQUEST).optional(),
    duration_minutes: asked.duration_minutes.optional(),
    justification: asked.justification,
    bundle: z.string().min(1).max(64).optional(),
    starts_at: z.iso.datetime({ offset: true }).optional(),
    ssh_public_key: z.string().max(16_000).optional(),
    // Checked per flow by the request service (domain/request-fields.ts), like a form's fields.
    fields: z.record(z.string().max(32), z.union([z.string().max(3000), z.number()])).optional(),
  })
  .superRefine(
    (body, ctx) => {
      if (body.bundle !== undefined) return;
      if (body.resources === undefined)
        ctx.addIssue({ code: 'custom', path: ['resources'], message: 'Name at least one resource, or a bundle' });
      if (body.duration_minutes === undefined)
        ctx.addIssue({ code: 'custom', path: ['duration_minutes'], message: 'Say how many minutes' });
    },
    // Checked with the other fields' problems too, so every missing field is named at once.
    { when: (p) => typeof p.value === 'object' && p.value !== null },
  );
const ExtendSchema = z.strictObject(asked);

/** The keys an object schema takes (through a refinement: zod 4 keeps the object's shape on it). */
const shapeOf = (schema: z.ZodType): Record<string, unknown> => (schema as unknown as z.ZodObject).shape ?? {};

/** zod's issues as one sentence per field, in words a person reads. */
function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? (issue.code === 'unrecognized_keys' ? issue.keys[0] : 'body'));
    fields[field] ??=
      issue.code === 'unrecognized_keys'
        ? `Unknown field; the body takes ${Object.keys(shapeOf(schema)).join(', ')}.`
        : field === 'body'
          ? 'Send a JSON object.'
          : `${issue.message}.`;
  }
  throw invalidInput(fields);
}

const checkKey = (key: string | undefined, what: 'create' | 'extend') => {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
    throw invalidInput({ 'Idempotency-Key': 'Use 1 to 200 printable characters (a UUID, say).' });
  // Namespaced: a Slack form's view id never matches a key a client picked, nor a create's key an extend's.
  return key === undefined ? undefined : `api:${what}:${key}`;
};

/** The request API as one person sees it, and who that person is (`GET /api/v1/me`). */
export interface PersonApi extends AccessApi {
  whoAmI(): Promise<{ id: string; name: string; email: string | null }>;
}

export interface RequestApiServices {
  deps: ServiceDeps;
  requests: RequestService;
  actions: RequestActions;
  grants: GrantService;
  extensions: ExtensionService;
  /** LISTEN on the database (db/client.ts), so long polls wake at a change instead of re-reading. */
  listen?: Listen;
  logger: Logger;
}

/**
 * The request API in process: the AccessApi one person sees, over the same use cases Slack's listeners
 * call, so every rule (flows, eligibility, justification and ticket checks, on-call auto-approval) holds
 * as it does in Slack. A person sees and acts on their own requests only; someone else's id reads as
 * unknown. Expected refusals come back as ApiError (status, code, sentence, fields).
 */
export function createRequestApi(s: RequestApiServices) {
  const { db, clock } = s.deps;
  const watcher = createRequestWatcher(s.listen, s.logger);

  async function dtos(requests: readonly RequestDetails[]): Promise<RequestDto[]> {
    const notes = await readyNotesOf(
      db,
      requests.flatMap((r) => (r.grant ? [r.grant.id] : [])),
    );
    const names = await namesOf(requests.flatMap(peopleOf));
    return requests.map((r) => requestDto(r, r.grant ? notes.filter((n) => n.grantId === r.grant!.id) : [], names));
  }

  /** Display names from the directory (cached there); someone Slack cannot name is left out, never an error. */
  async function namesOf(ids: readonly string[]): Promise<Map<string, string>> {
    const named = await Promise.all(
      [...new Set(ids)].map((id) =>
        s.deps.directory.person(id).then(
          (p) => (p.name ? ([id, p.name] as const) : null),
          () => null,
        ),
      ),
    );
    return new Map(named.filter((n) => n !== null));
  }
  const one = async (r: RequestDetails) => (await dtos([r]))[0]!;

  function forPrincipal(principal: ApiPrincipal): PersonApi {
    const me = principal.userId;
    const origin: RequestOrigin = { channel: principal.channel, agent: principal.agent };

    /** The person's own request, or not_found (someone else's reads the same as none). */
    async function own(id: string): Promise<RequestDetails> {
      if (!REQUEST_ID.test(id)) throw notFound();
      const r = await s.requests.get(id);
      if (!r || r.requesterId !== me) throw notFound();
      return r;
    }

    return {
      async whoAmI() {
        const person = await s.deps.directory.person(me);
        return { id: person.id, name: person.name, email: person.email };
      },

      async requestable() {
        const { requestable } = await s.requests.requestableFor(me);
        return requestable.map(requestableDto);
      },

      async bundles() {
        const { requestable, bundles } = await s.requests.requestableFor(me);
        return bundles.map((offer) => requestableBundleDto(offer, bundleDurationFor(offer, requestable)));
      },

      async create(body: CreateRequestBody, idempotencyKey?: string) {
        const input = parsed(CreateSchema, body);
        const submissionKey = checkKey(idempotencyKey, 'create');
        const result = await s.requests
          .submit({
            requesterId: me,
            resourceNames: input.resources ?? [],
            durationMinutes: input.duration_minutes ?? null,
            bundleName: input.bundle ?? null,
            bundleDefaults: true,
            justification: input.justification,
            ...(input.ssh_public_key !== undefined ? { sshPublicKey: input.ssh_public_key } : {}),
            ...(input.fields ? { fields: input.fields } : {}),
            startsAt: input.starts_at ? new Date(input.starts_at) : null,
            ...(submissionKey ? { submissionKey } : {}),
            origin,
          })
          .catch(toApiError);
        if (!result.ok) throw invalidInput(apiFields(result.errors));
        return dtos(result.requests);
      },

      async get(id: string) {
        return one(await own(id));
      },

      async listMine(options = {}) {
        const { status, limit = LIST_DEFAULT } = options;
        if (status !== undefined && !(REQUEST_STATUSES as readonly string[]).includes(status))
          throw invalidInput({ status: `Use one of ${REQUEST_STATUSES.join(', ')}.` });
        if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX)
          throw invalidInput({ limit: `Use a whole number from 1 to ${LIST_MAX}.` });
        return dtos(await s.requests.listMine(me, limit, status));
      },

      async cancel(id: string) {
        await own(id);
        return one(await s.actions.cancel(id, me, origin).catch(toApiError));
      },

      async release(id: string) {
        await own(id);
        // Slack's Release: the requester ends their own access (an approver's revoke goes through Slack).
        return one(await s.grants.revoke(id, me, origin).catch(toApiError));
      },

      async extend(id: string, body: ExtendRequestBody, idempotencyKey?: string) {
        const input = parsed(ExtendSchema, body);
        const submissionKey = checkKey(idempotencyKey, 'extend');
        await own(id);
        const result = await s.extensions
          .requestExtension(id, me, {
            durationMinutes: input.duration_minutes,
            justification: input.justification,
            ...(submissionKey ? { submissionKey } : {}),
            origin,
          })
          .catch(toApiError);
        if (!result.ok) throw invalidInput(apiFields(result.errors));
        return one(result.request);
      },

      async wait(id: string, options: { status?: RequestStatus; timeoutSeconds?: number; signal?: AbortSignal } = {}) {
        const seconds = options.timeoutSeconds ?? WAIT_DEFAULT_SECONDS;
        if (!Number.isFinite(seconds) || seconds < 0)
          throw invalidInput({ timeout: `Say how many seconds to wait, 0 to ${WAIT_MAX_SECONDS}.` });
        if (options.status !== undefined && !(REQUEST_STATUSES as readonly string[]).includes(options.status))
          throw invalidInput({ status: `Use one of ${REQUEST_STATUSES.join(', ')}.` });
        const deadline = performance.now() + Math.min(seconds, WAIT_MAX_SECONDS) * 1000;
        // Registered before each read: a change between the read and the wait wakes it rather than being missed.
        let change = watcher.watch(id);
        let r: RequestDetails;
        try {
          r = await own(id);
          const from = options.status ?? r.status;
          for (;;) {
            const left = deadline - performance.now();
            if (waitIsOver(r, from, clock.now()) || left <= 0 || options.signal?.aborted) break;
            await change.next(left, options.signal);
            change = watcher.watch(id);
            r = await own(id);
          }
          return { request: await one(r), changed: r.status !== from };
        } finally {
          change.cancel();
        }
      },
    };
  }

  return Object.assign(forPrincipal, { stop: () => watcher.stop() });
}

export type RequestApiFactory = ReturnType<typeof createRequestApi>;

export { ApiError };
