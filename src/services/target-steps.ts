import { appendAudit } from '../db/audit-queries.js';
import { countAttempt, moveTarget, type GrantForProvisioning, type TargetRow } from '../db/grant-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import type { AuditAction } from '../domain/audit-action.js';
import { PermanentProvisioningError, type Provisioner } from '../provisioners/port.js';
import { createGrantContexts } from './grant-context.js';
import { noopMetrics, type AttemptResult, type ProvisioningOperation } from './ports.js';
import type { ServiceDeps } from './deps.js';
import { longerWait } from './retry-later.js';
import { createSharedAccess } from './shared-access.js';

/** One kind of work on a grant's targets, for the shared retry loop (eachTarget). */
export interface TargetOperation {
  operation: ProvisioningOperation;
  /** The audit action of a failed attempt. */
  failedAction: AuditAction;
  missingProvisioner: (name: string) => Error;
  /** The work on one target; true when it should be tried again although nothing threw. */
  run: (target: TargetRow, provisioner: Provisioner, answered: () => void) => Promise<boolean>;
  /** A permanent failure ends the target's attempts here (provisioning: the target is marked failed). */
  giveUp?: (target: TargetRow, message: string) => Promise<void>;
  afterFailure?: (target: TargetRow, message: string, attempts: number) => Promise<void>;
  retryPermanent?: boolean;
}

/**
 * The mechanics every kind of work on a grant's targets shares (provisioning-service.ts, reconcile.ts):
 * a target moved together with its audit row, the one retry loop, and the siblings a removal cut short.
 */
export function createTargetSteps(deps: ServiceDeps) {
  const { db, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;
  /** One provisioner call counted; a retry when the target's last attempt failed (success clears lastError). */
  const attempted = (target: TargetRow, operation: ProvisioningOperation, result: AttemptResult) =>
    metrics.provisioningAttempt(target.provisioner, operation, result, target.lastError !== null);
  const failure = (error: unknown): AttemptResult =>
    error instanceof PermanentProvisioningError ? 'permanent_error' : 'transient_error';

  async function audit(request: string, action: AuditAction, details: Record<string, unknown>) {
    await appendAudit(db, { requestId: request, actor: 'system', action, createdAt: clock.now(), details });
  }

  /**
   * Moves a target and writes its audit row (and queues any follow-up) in one transaction. Apart, a
   * crash between them lost the record, or the follow-up, for good: the retry finds the target already
   * moved and does nothing (found by test/faults/crash-restart.test.ts). False, and nothing written,
   * when the target was no longer in `from`.
   */
  async function moveAudited(
    grantId: string,
    requestId: string,
    resource: string,
    from: Parameters<typeof moveTarget>[3],
    patch: Parameters<typeof moveTarget>[4],
    audited: {
      action: AuditAction;
      details: Record<string, unknown>;
      then?: { topic: 'grant.provision' | 'grant.deprovision'; payload: { grantId: string } };
    },
  ): Promise<boolean> {
    const moved = await db.transaction(async (tx) => {
      if (!(await moveTarget(tx, grantId, resource, from, patch))) return false;
      await appendAudit(tx, {
        requestId,
        actor: 'system',
        action: audited.action,
        createdAt: clock.now(),
        details: audited.details,
      });
      if (audited.then) await enqueue(tx, [{ ...audited.then, requestId }]);
      return true;
    });
    if (moved && audited.then) deps.afterCommit();
    return moved;
  }

  const contextFor = createGrantContexts(db, deps.secrets, deps.directory);
  const shared = createSharedAccess(deps, contextFor);

  /** Siblings cut short by a removal: back to pending, audited, provisioned again through the outbox. */
  async function restoreSiblings(cut: Awaited<ReturnType<typeof shared.cutShort>>, after: string) {
    for (const s of cut) {
      const then = { topic: 'grant.provision' as const, payload: { grantId: s.grantId } };
      await moveAudited(
        s.grantId,
        s.requestId,
        s.resourceName,
        ['active'],
        { status: 'pending' },
        {
          action: 'reconcile.missing_access',
          details: { grantId: s.grantId, resource: s.resourceName, cause: `shared access removed with ${after}` },
          then,
        },
      );
    }
  }

  /**
   * The one retry loop: works on each target of a grant in turn, counting and auditing every failed
   * attempt, and throws RetryLater at the end when one should be tried again (the outbox backs off).
   * `run` reports the provisioner's answer through `answered`; a PermanentProvisioningError goes to
   * `giveUp` when the operation has one (provisioning), else it is counted like any failure and retried
   * only when `retryPermanent` (removal is never given up).
   */
  async function eachTarget(
    grant: GrantForProvisioning,
    targets: TargetRow[],
    op: TargetOperation,
  ): Promise<{ retry: boolean; wait: number | undefined }> {
    let retry = false;
    let wait: number | undefined;
    for (const target of targets) {
      const provisioner = deps.provisioners.get(target.provisioner);
      let called = false;
      const answered = () => {
        called = true;
        attempted(target, op.operation, 'ok');
      };
      try {
        if (!provisioner) throw op.missingProvisioner(target.provisioner);
        if (await op.run(target, provisioner, answered)) retry = true;
      } catch (error) {
        const message = (error as Error).message;
        if (!called) attempted(target, op.operation, failure(error));
        const permanent = error instanceof PermanentProvisioningError;
        if (permanent && op.giveUp) {
          await op.giveUp(target, message);
          continue;
        }
        const attempts = await countAttempt(db, grant.id, target.resourceName, message);
        await audit(grant.requestId, op.failedAction, {
          grantId: grant.id,
          resource: target.resourceName,
          provisioner: target.provisioner,
          attempt: attempts,
          error: message,
        });
        await op.afterFailure?.(target, message, attempts);
        if (!permanent || op.retryPermanent) retry = true;
        wait = longerWait(wait, error);
      }
    }
    return { retry, wait };
  }

  return { audit, moveAudited, restoreSiblings, eachTarget, contextFor, shared, metrics };
}

export type TargetSteps = ReturnType<typeof createTargetSteps>;
