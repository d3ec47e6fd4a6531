import { isDeepStrictEqual } from 'node:util';
import { appendAudit } from '../db/audit-queries.js';
import {
  deleteFlowRow,
  deleteResourceRow,
  findFlow,
  flowUsage,
  listFlows,
  lockFlow,
  lockResource,
  resourcesByName,
  setFlowEnabled,
  tagsInUse,
  upsertFlow,
  upsertResource,
} from '../db/catalog-queries.js';
import type { Tx } from '../db/client.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../db/outbox-queries.js';
import type { TargetChange } from '../domain/outbox.js';
import type { ProvisionerConfig } from '../domain/resource.js';
import { secretRefsIn } from '../provisioners/secrets.js';
import {
  flowInputProblems,
  resourceInputProblems,
  type FieldErrors,
  type FlowField,
  type FlowInput,
  type ResourceField,
  type ResourceInput,
} from '../domain/catalog-input.js';
import type { AuditAction } from '../domain/audit-action.js';
import { AppError } from '../domain/errors.js';
import { isAdmin, requireMember } from './identity.js';
import { SERVICE_NAMES, servicesOf, type OnCallService } from '../domain/on-call.js';
import type { OnCallDirectory } from './ports.js';
import type { ServiceDeps } from './deps.js';

const CREDENTIAL: Record<OnCallService, string> = { pagerduty: 'PAGERDUTY_API_TOKEN', opsgenie: 'OPSGENIE_API_KEY' };

/** A flow asking an on-call service the bot has no credentials for: said under the field that names it. */
function onCallCredentialProblems(input: FlowInput, onCall: OnCallDirectory | undefined): FieldErrors<FlowField> {
  const missing = (refs: Parameters<typeof servicesOf>[0]) => servicesOf(refs).find((s) => !onCall?.configured(s));
  const sentence = (s: OnCallService) =>
    `${SERVICE_NAMES[s]} is not set up for this bot: ask whoever runs it to set ${CREDENTIAL[s]}.`;
  const e: FieldErrors<FlowField> = {};
  const inRules = missing(input.lifecycle.autoApprove.flatMap((r) => r.onCall ?? []));
  const inApprovers = missing(input.lifecycle.onCallApprovers ?? []);
  if (inRules) e.autoApprove = sentence(inRules);
  if (inApprovers) e.onCall = sentence(inApprovers);
  return e;
}

export type SaveResult<F extends string> = { ok: true; id: string } | { ok: false; errors: FieldErrors<F> };

/**
 * Admin changes to the catalogue. Every call re-checks that the actor is an admin (a forged click
 * carries no authority), refuses rows the ACCESS_CONFIG file owns, and audits before and after in the
 * transaction that makes the change.
 */
export function createAdminService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;

  async function requireAdmin(actorId: string) {
    await requireMember(directory, actorId);
    if (!(await isAdmin(directory, deps.admins, actorId)))
      throw new AppError('not_admin', 'Only admins can change the catalogue');
  }

  const checkEditable = (row: { managedBy: string } | undefined, what: string) => {
    if (!row) throw new AppError('not_found', `No such ${what}`);
    if (row.managedBy === 'file') throw new AppError('managed_by_file', `This ${what} is managed by ACCESS_CONFIG`);
    // A synced row follows its group: a hand edit would be overwritten at the next sync, so none is taken.
    if (row.managedBy === 'sync') throw new AppError('managed_by_sync', `This ${what} comes from a group source`);
  };

  async function audit(tx: Tx, actor: string, action: AuditAction, details: Record<string, unknown>) {
    await appendAudit(tx, { requestId: null, actor, action, createdAt: clock.now(), details });
  }

  /** A reference the operator has not declared (or that points at the bot's own credentials) is refused at save. */
  function undeclaredSecret(settings: Record<string, unknown>): string | null {
    for (const ref of secretRefsIn(settings)) {
      const problem = deps.secrets.problem(ref);
      if (problem) {
        const declared = deps.secrets.declared();
        return `${problem} ${declared.length ? `Declared: ${declared.join(', ')}.` : 'No secret is declared yet.'}`;
      }
    }
    return null;
  }

  /**
   * Where a resource's grants go and with which credentials is what an attacker with an admin's Slack
   * session would change: the other admins hear of it (after commit, through the outbox), besides the audit.
   */
  async function tellOtherAdmins(
    tx: Tx,
    actorId: string,
    resource: string,
    change: TargetChange['change'],
    before: ProvisionerConfig | null | undefined,
    after: ProvisionerConfig | null | undefined,
  ) {
    if (isDeepStrictEqual(before ?? null, after ?? null)) return;
    await enqueue(tx, [
      {
        topic: 'admins.target_changed',
        requestId: null,
        payload: { actorId, resource, change, before: before ?? null, after: after ?? null },
      },
    ]);
  }

  async function saveFlow(actorId: string, flowId: string | null, input: FlowInput): Promise<SaveResult<FlowField>> {
    await requireAdmin(actorId);
    const known = new Set((await deps.catalog.snapshot()).resources.map((r) => r.name));
    const errors = { ...onCallCredentialProblems(input, deps.onCall), ...flowInputProblems(input, known) };
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    const id = flowId ?? newId('flw');
    const result = await db.transaction(async (tx) => {
      const before = flowId ? await lockFlow(tx, flowId) : undefined;
      if (flowId) checkEditable(before, 'flow');
      const clash = (await listFlows(tx)).find((f) => f.name === input.name && f.id !== id);
      if (clash) return { ok: false as const, errors: { name: 'Another flow already has this name.' } };
      if (
        before &&
        isDeepStrictEqual(
          { ...before, id: undefined, managedBy: undefined },
          { ...input, id: undefined, managedBy: undefined },
        )
      )
        return { ok: true as const, id };
      await upsertFlow(tx, id, input, 'app', clock.now());
      await audit(tx, actorId, before ? 'flow.updated' : 'flow.created', {
        flowId: id,
        before: before ?? null,
        after: input,
      });
      return { ok: true as const, id };
    });
    return result;
  }

  async function setEnabled(actorId: string, flowId: string, enabled: boolean) {
    await requireAdmin(actorId);
    await db.transaction(async (tx) => {
      const before = await lockFlow(tx, flowId);
      checkEditable(before, 'flow');
      if (before!.enabled === enabled) return;
      await setFlowEnabled(tx, flowId, enabled, clock.now());
      await audit(tx, actorId, enabled ? 'flow.enabled' : 'flow.disabled', {
        flowId,
        name: before!.name,
        before: { enabled: before!.enabled },
        after: { enabled },
      });
    });
  }

  /** Deleting a flow with open requests would strand them (nobody could decide them): disable it instead. */
  async function deleteFlow(actorId: string, flowId: string) {
    await requireAdmin(actorId);
    await db.transaction(async (tx) => {
      const before = await lockFlow(tx, flowId);
      checkEditable(before, 'flow');
      const open = await flowUsage(tx, flowId);
      if (open > 0)
        throw new AppError(
          'not_allowed',
          `${open} request(s) through this flow are pending or active; disable the flow instead`,
          { open },
        );
      await deleteFlowRow(tx, flowId);
      await audit(tx, actorId, 'flow.deleted', { flowId, before, after: null });
    });
  }

  async function saveResource(
    actorId: string,
    resourceId: string | null,
    input: ResourceInput,
  ): Promise<SaveResult<ResourceField>> {
    await requireAdmin(actorId);
    const errors = resourceInputProblems(input);
    const provisionerProblem =
      deps.provisioners.validate(input.provisioner) ?? undeclaredSecret(input.provisioner?.settings ?? {});
    if (provisionerProblem) errors.provisioner = provisionerProblem;
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    const id = resourceId ?? newId('res');
    const saved = await db.transaction(async (tx) => {
      const before = resourceId ? await lockResource(tx, resourceId) : undefined;
      if (resourceId) checkEditable(before, 'resource');
      // By name, retired synced rows too: one still needed for its grants' removals keeps its name.
      const clash = (await resourcesByName(tx, [input.name])).find((r) => r.id !== id);
      if (clash) return { ok: false as const, errors: { name: 'Another resource already has this name.' } };
      if (before && before.name !== input.name)
        return { ok: false as const, errors: { name: 'A resource keeps its name; add a new one instead.' } };
      await upsertResource(tx, id, input, 'app', clock.now());
      await audit(tx, actorId, before ? 'resource.updated' : 'resource.created', {
        resourceId: id,
        before: before ?? null,
        after: input,
      });
      await tellOtherAdmins(
        tx,
        actorId,
        input.name,
        before ? 'updated' : 'created',
        before?.provisioner,
        input.provisioner,
      );
      return { ok: true as const, id };
    });
    deps.afterCommit();
    // A target type new to this deployment: its SDK starts loading before the first grant needs it.
    if (saved.ok && input.provisioner) deps.provisioners.warm([input.provisioner.type]);
    return saved;
  }

  async function deleteResource(actorId: string, resourceId: string) {
    await requireAdmin(actorId);
    await db.transaction(async (tx) => {
      const before = await lockResource(tx, resourceId);
      checkEditable(before, 'resource');
      await deleteResourceRow(tx, resourceId);
      await audit(tx, actorId, 'resource.deleted', { resourceId, before, after: null });
      await tellOtherAdmins(tx, actorId, before!.name, 'deleted', before!.provisioner, null);
    });
    deps.afterCommit();
  }

  return {
    requireAdmin,
    isAdmin: (userId: string) => isAdmin(directory, deps.admins, userId),
    saveFlow,
    setEnabled,
    deleteFlow,
    saveResource,
    deleteResource,
    flows: async () => (await deps.catalog.snapshot()).flows,
    flow: (id: string) => findFlow(db, id),
    resources: async () => (await deps.catalog.snapshot()).resources,
    tags: () => tagsInUse(db),
    groups: () => directory.groups(),
    userGroupsAvailable: () => directory.userGroupsAvailable(),
    provisionerTypes: () => deps.provisioners.types(),
    /** The references an admin may choose from (names only, never values). */
    declaredSecrets: () => deps.secrets.declared(),
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
