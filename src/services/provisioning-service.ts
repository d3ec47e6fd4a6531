import { appendAudit } from '../db/audit-queries.js';
import { resourcesByName } from '../db/catalog-queries.js';
import { countAttempt, grantById, moveTarget, sshKeyOf, targetsOf, targetsToReconcile, type GrantForProvisioning, type TargetRow } from '../db/grant-queries.js';
import type { OutboxItem } from '../db/outbox-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import { getRequestDetails, type RequestDetails } from '../db/request-queries.js';
import { PermanentProvisioningError, type GrantContext, type ProvisionResult } from '../provisioners/port.js';
import { resolveSettings } from '../provisioners/secrets.js';
import type { ServiceDeps } from './ports.js';

/** How provisioning outcomes reach people (Slack in production). Secrets go to the requester only. */
export interface ProvisioningMessenger {
  postAccessReady(request: RequestDetails, resource: string, result: ProvisionResult): Promise<void>;
  postProvisioningProblem(request: RequestDetails, resource: string, problem: string, final: boolean): Promise<void>;
}

/** After this many failed attempts the requester and approvers hear that provisioning is still failing. */
const WARN_AFTER_ATTEMPTS = 3;

export class RetryLater extends Error {
  override name = 'RetryLater';
}

/**
 * Makes grants real in their targets and takes them away. Runs from the outbox (after the decision
 * committed), so every call is retried with backoff; each attempt and outcome is audited, secrets never.
 */
export function createProvisioningService(deps: ServiceDeps, env: Record<string, string | undefined>, messenger: ProvisioningMessenger) {
  const { db, clock } = deps;

  async function audit(request: string, action: string, details: Record<string, unknown>) {
    await appendAudit(db, { requestId: request, actor: 'system', action, createdAt: clock.now(), details });
  }

  async function contextFor(grant: GrantForProvisioning, request: RequestDetails, target: TargetRow): Promise<GrantContext> {
    const [resource] = await resourcesByName(db, [target.resourceName]);
    const config = resource?.provisioner;
    if (!resource || !config || config.type !== target.provisioner) throw new PermanentProvisioningError(`${target.resourceName} no longer uses the ${target.provisioner} provisioner`);
    const grant_ = grant;
    const tuned = request.grant?.policy.resources.find((g) => g.resource === target.resourceName);
    if (!tuned) throw new PermanentProvisioningError(`${target.resourceName} is not part of the grant`);
    let settings: Record<string, unknown>;
    try {
      settings = resolveSettings(config.settings, env);
    } catch (e) {
      throw new PermanentProvisioningError(`${target.resourceName}: ${(e as Error).message}`);
    }
    return {
      grantId: grant_.id,
      requestId: grant_.requestId,
      requesterId: grant_.requesterId,
      requesterEmail: grant_.requesterEmail,
      sshPublicKey: await sshKeyOf(db, grant_.requesterId),
      resource: { name: resource.name, type: resource.type },
      settings,
      grant: tuned,
      startsAt: grant_.startsAt,
      expiresAt: grant_.expiresAt,
    };
  }

  async function provisionGrant(grantId: string) {
    const grant = await grantById(db, grantId);
    if (!grant || grant.status !== 'active') return;
    const request = (await getRequestDetails(db, grant.requestId))!;
    let retry = false;
    for (const target of (await targetsOf(db, grantId)).filter((t) => t.status === 'pending')) {
      const provisioner = deps.provisioners.get(target.provisioner);
      try {
        if (!provisioner) throw new PermanentProvisioningError(`no ${target.provisioner} provisioner is configured`);
        const ctx = await contextFor(grant, request, target);
        const result = await provisioner.provision(ctx);
        if (!(await moveTarget(db, grantId, target.resourceName, ['pending'], { status: 'active', state: result.state, lastError: null }))) {
          // The grant ended while we were provisioning: undo at once rather than leave access behind.
          await provisioner.deprovision(ctx, result.state);
          continue;
        }
        await audit(grant.requestId, 'grant.provisioned', { grantId, resource: target.resourceName, provisioner: target.provisioner, state: result.state });
        await messenger.postAccessReady(request, target.resourceName, result);
      } catch (error) {
        const message = (error as Error).message;
        if (error instanceof PermanentProvisioningError) {
          await moveTarget(db, grantId, target.resourceName, ['pending'], { status: 'failed', lastError: message, countAttempt: true });
          await audit(grant.requestId, 'grant.provision_failed', { grantId, resource: target.resourceName, provisioner: target.provisioner, error: message });
          await messenger.postProvisioningProblem(request, target.resourceName, message, true);
          continue;
        }
        const attempts = await countAttempt(db, grantId, target.resourceName, message);
        await audit(grant.requestId, 'grant.provision_attempt_failed', { grantId, resource: target.resourceName, provisioner: target.provisioner, attempt: attempts, error: message });
        if (attempts === WARN_AFTER_ATTEMPTS) await messenger.postProvisioningProblem(request, target.resourceName, message, false);
        retry = true;
      }
    }
    if (retry) throw new RetryLater(`provisioning of ${grantId} will be retried`);
  }

  /** Removes everything a grant put in its targets; retried until every target says it is gone. */
  async function deprovisionGrant(grantId: string) {
    const grant = await grantById(db, grantId);
    if (!grant) return;
    const request = (await getRequestDetails(db, grant.requestId))!;
    let retry = false;
    for (const target of (await targetsOf(db, grantId)).filter((t) => t.status === 'removing')) {
      const provisioner = deps.provisioners.get(target.provisioner);
      try {
        if (!provisioner) throw new Error(`no ${target.provisioner} provisioner is configured`);
        await provisioner.deprovision(await contextFor(grant, request, target), target.state);
        await moveTarget(db, grantId, target.resourceName, ['removing'], { status: 'removed', lastError: null });
        await audit(grant.requestId, 'grant.deprovisioned', { grantId, resource: target.resourceName, provisioner: target.provisioner });
      } catch (error) {
        const message = (error as Error).message;
        const attempts = await countAttempt(db, grantId, target.resourceName, message);
        await audit(grant.requestId, 'grant.deprovision_attempt_failed', { grantId, resource: target.resourceName, provisioner: target.provisioner, attempt: attempts, error: message });
        retry = true;
      }
    }
    if (retry) throw new RetryLater(`removal of ${grantId} will be retried`);
  }

  /**
   * Compares the targets with the database: access that should exist but is gone is provisioned
   * again; access that should be gone but is present is removed again. Both are audited.
   */
  async function reconcile(): Promise<{ reprovisioned: number; removed: number }> {
    const since = new Date(clock.now().getTime() - 7 * 86400_000);
    let reprovisioned = 0;
    let removed = 0;
    for (const target of await targetsToReconcile(db, since, 500)) {
      const provisioner = deps.provisioners.get(target.provisioner);
      if (!provisioner?.isPresent) continue;
      const grant = await grantById(db, target.grantId);
      const request = grant && (await getRequestDetails(db, grant.requestId));
      if (!grant || !request) continue;
      try {
        const present = await provisioner.isPresent(await contextFor(grant, request, target), target.state);
        const shouldBe = target.grantStatus === 'active';
        if (present === shouldBe) continue;
        const next = shouldBe ? 'pending' : 'removing';
        if (!(await moveTarget(db, target.grantId, target.resourceName, [target.status], { status: next }))) continue;
        await audit(grant.requestId, shouldBe ? 'reconcile.missing_access' : 'reconcile.leftover_access', { grantId: grant.id, resource: target.resourceName, provisioner: target.provisioner });
        await enqueue(db, [{ topic: shouldBe ? 'grant.provision' : 'grant.deprovision', requestId: grant.requestId, payload: { grantId: grant.id } }]);
        if (shouldBe) reprovisioned += 1;
        else removed += 1;
      } catch {
        // The target cannot be asked right now; the next reconcile tries again.
      }
    }
    if (reprovisioned + removed > 0) deps.afterCommit();
    return { reprovisioned, removed };
  }

  async function handle(item: OutboxItem) {
    const grantId = String(item.payload.grantId ?? '');
    if (item.topic === 'grant.provision') return provisionGrant(grantId);
    if (item.topic === 'grant.deprovision') return deprovisionGrant(grantId);
    throw new Error(`unknown outbox topic ${item.topic}`);
  }

  return { handle, reconcile, provisionGrant, deprovisionGrant };
}

export type ProvisioningService = ReturnType<typeof createProvisioningService>;
