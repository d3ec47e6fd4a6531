import { appendAudit } from '../db/audit-queries.js';
import {
  countAttempt,
  grantById,
  markReadySent,
  moveTarget,
  targetsOf,
  targetsToReconcile,
  type GrantForProvisioning,
  type TargetRow,
} from '../db/grant-queries.js';
import type { OutboxHandlers } from '../domain/outbox.js';
import { enqueue } from '../db/outbox-queries.js';
import { getRequestDetails, type RequestDetails } from '../db/request-queries.js';
import { PermanentProvisioningError, type ProvisionResult, type Provisioner } from '../provisioners/port.js';
import { longerWait, RetryLater } from './retry-later.js';
import { createGrantContexts } from './grant-context.js';
import { createSharedAccess } from './shared-access.js';
import {
  noopMetrics,
  type Messenger,
  type AttemptResult,
  type ProvisioningOperation,
  type ServiceDeps,
} from './ports.js';

export type { AccessReady } from './ports.js';

/** One kind of work on a grant's targets, for the shared retry loop (eachTarget). */
interface TargetOperation {
  operation: ProvisioningOperation;
  /** The audit action of a failed attempt. */
  failedAction: string;
  missingProvisioner: (name: string) => Error;
  /** The work on one target; true when it should be tried again although nothing threw. */
  run: (target: TargetRow, provisioner: Provisioner, answered: () => void) => Promise<boolean>;
  /** A permanent failure ends the target's attempts here (provisioning: the target is marked failed). */
  giveUp?: (target: TargetRow, message: string) => Promise<void>;
  afterFailure?: (target: TargetRow, message: string, attempts: number) => Promise<void>;
  retryPermanent?: boolean;
}

/** After this many failed attempts the requester and approvers hear that provisioning is still failing. */
const WARN_AFTER_ATTEMPTS = 3;

/**
 * Makes grants real in their targets and takes them away. Runs from the outbox (after the decision
 * committed), so every call is retried with backoff; each attempt and outcome is audited, secrets never.
 */
export function createProvisioningService(
  deps: ServiceDeps,
  env: Record<string, string | undefined>,
  messenger: Messenger,
) {
  const { db, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;
  const seconds = (from: Date) => Math.max(0, (clock.now().getTime() - from.getTime()) / 1000);
  /** One provisioner call counted; a retry when the target's last attempt failed (success clears lastError). */
  const attempted = (target: TargetRow, operation: ProvisioningOperation, result: AttemptResult) =>
    metrics.provisioningAttempt(target.provisioner, operation, result, target.lastError !== null);
  const failure = (error: unknown): AttemptResult =>
    error instanceof PermanentProvisioningError ? 'permanent_error' : 'transient_error';

  async function audit(request: string, action: string, details: Record<string, unknown>) {
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
      action: string;
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

  const contextFor = createGrantContexts(db, env);
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

  async function provisionGrant(grantId: string) {
    const grant = await grantById(db, grantId);
    if (!grant || grant.status !== 'active') return;
    // A scheduled grant is never made real before its start by the bot's clock, even if the item came
    // due early (the outbox runs on the database's clock): wait out the rest.
    const early = Math.ceil((grant.startsAt.getTime() - clock.now().getTime()) / 1000);
    if (early > 0) throw new RetryLater(`grant ${grantId} starts in ${early}s`, early);
    const request = (await getRequestDetails(db, grant.requestId))!;
    const justFailed = new Set<string>();
    const pending = (await targetsOf(db, grantId)).filter((t) => t.status === 'pending');
    const attempt = await eachTarget(grant, pending, {
      operation: 'provision',
      failedAction: 'grant.provision_attempt_failed',
      missingProvisioner: (name) => new PermanentProvisioningError(`no ${name} provisioner is configured`),
      run: async (target, provisioner, answered) => {
        const ctx = await contextFor(grant, request, target);
        const result = await provisioner.provision(ctx);
        answered();
        const provisioned = {
          action: 'grant.provisioned',
          details: { grantId, resource: target.resourceName, provisioner: target.provisioner, state: result.state },
        };
        const readyNote = { instructions: result.instructions ?? null, secretLabel: result.secret?.label ?? null };
        if (
          !(await moveAudited(
            grantId,
            grant.requestId,
            target.resourceName,
            ['pending'],
            { status: 'active', state: result.state, lastError: null, readyNote },
            provisioned,
          ))
        ) {
          // Another replica made it real first (this one's outbox lease ran out while the target was
          // slow): that access stays (test/provisioning-race.test.ts).
          if (
            (await targetsOf(db, grantId)).some((t) => t.resourceName === target.resourceName && t.status === 'active')
          )
            return false;
          // The grant ended while we were provisioning: undo at once rather than leave access behind.
          const removal = await shared.remove(grant, ctx, target, provisioner, result.state);
          await restoreSiblings(await removal.afterwards(), grantId);
          return false;
        }
        // Access put back by reconcile (its ready DM went out long ago) is no time-to-access.
        if (target.readySentAt === null) metrics.observeProvisioned(target.provisioner, seconds(grant.startsAt));
        // Owed until it reaches Slack: if this fails (or the bot dies first), a later attempt sends it.
        try {
          await tellReady(grantId, request, target.resourceName, result);
          return false;
        } catch (error) {
          await audit(grant.requestId, 'grant.ready_attempt_failed', {
            grantId,
            resource: target.resourceName,
            error: (error as Error).message,
          });
          justFailed.add(target.resourceName);
          return true;
        }
      },
      giveUp: async (target, message) => {
        await moveAudited(
          grantId,
          grant.requestId,
          target.resourceName,
          ['pending'],
          { status: 'failed', lastError: message, countAttempt: true },
          {
            action: 'grant.provision_failed',
            details: { grantId, resource: target.resourceName, provisioner: target.provisioner, error: message },
          },
        );
        await messenger.postProvisioningProblem(request, target.resourceName, message, true);
      },
      afterFailure: async (target, message, attempts) => {
        if (attempts === WARN_AFTER_ATTEMPTS)
          await messenger.postProvisioningProblem(request, target.resourceName, message, false);
      },
    });
    const owed = !(await resendOwedReady(grant, request, justFailed));
    if (attempt.retry || owed) throw new RetryLater(`provisioning of ${grantId} will be retried`, attempt.wait);
  }

  async function tellReady(grantId: string, request: RequestDetails, resource: string, result: ProvisionResult) {
    await messenger.postAccessReady(request, resource, result);
    await markReadySent(db, grantId, resource, clock.now());
  }

  /**
   * Active targets whose "access ready" DM never reached Slack (Slack failed, or the bot died between
   * the commit and the DM). The secret of the first was never stored, so one that carried a secret
   * is provisioned again, which issues a fresh one (a new password, a new certificate): the first
   * reached no one. Audited, never with the secret. False when something is still owed.
   */
  async function resendOwedReady(
    grant: GrantForProvisioning,
    request: RequestDetails,
    skip: ReadonlySet<string>,
  ): Promise<boolean> {
    let done = true;
    for (const target of (await targetsOf(db, grant.id)).filter(
      (t) => t.status === 'active' && t.readySentAt === null && !skip.has(t.resourceName),
    )) {
      const provisioner = deps.provisioners.get(target.provisioner);
      try {
        let result: ProvisionResult = {
          state: target.state,
          ...(target.readyNote?.instructions ? { instructions: target.readyNote.instructions } : {}),
        };
        if (target.readyNote?.secretLabel && provisioner) {
          result = await provisioner.provision(await contextFor(grant, request, target));
          const reissued = {
            action: 'grant.secret_reissued',
            details: {
              grantId: grant.id,
              resource: target.resourceName,
              provisioner: target.provisioner,
              reason: 'the first never reached the requester',
              state: result.state,
            },
          };
          if (
            !(await moveAudited(
              grant.id,
              grant.requestId,
              target.resourceName,
              ['active'],
              { status: 'active', state: result.state },
              reissued,
            ))
          )
            continue;
        }
        await tellReady(grant.id, request, target.resourceName, result);
      } catch (error) {
        await audit(grant.requestId, 'grant.ready_attempt_failed', {
          grantId: grant.id,
          resource: target.resourceName,
          error: (error as Error).message,
        });
        done = false;
      }
    }
    return done;
  }

  /** Removes everything a grant put in its targets; retried until every target says it is gone. */
  async function deprovisionGrant(grantId: string) {
    const grant = await grantById(db, grantId);
    if (!grant) return;
    const request = (await getRequestDetails(db, grant.requestId))!;
    const removing = (await targetsOf(db, grantId)).filter((t) => t.status === 'removing');
    const { retry, wait } = await eachTarget(grant, removing, {
      operation: 'deprovision',
      failedAction: 'grant.deprovision_attempt_failed',
      // Removing access is never given up: a provisioner missing now (a config change) may be back.
      missingProvisioner: (name) => new Error(`no ${name} provisioner is configured`),
      retryPermanent: true,
      run: async (target, provisioner, answered) => {
        const removal = await shared.remove(
          grant,
          await contextFor(grant, request, target),
          target,
          provisioner,
          target.state,
        );
        answered();
        // Kept objects are named by count and holder, not by key: keys carry people's identities.
        const keptFor = removal.kept > 0 ? { kept: removal.kept, keptFor: removal.holders } : {};
        if (
          await moveAudited(
            grantId,
            grant.requestId,
            target.resourceName,
            ['removing'],
            { status: 'removed', lastError: null },
            {
              action: 'grant.deprovisioned',
              details: { grantId, resource: target.resourceName, provisioner: target.provisioner, ...keptFor },
            },
          )
        ) {
          // From the end the grant was given (revoked early: when; expired: its expires_at) to gone in the target.
          metrics.observeRevocationLag(
            target.provisioner,
            seconds(grant.endedAt && grant.endedAt < grant.expiresAt ? grant.endedAt : grant.expiresAt),
          );
        }
        await restoreSiblings(await removal.afterwards(), grantId);
        return false;
      },
    });
    if (retry) throw new RetryLater(`removal of ${grantId} will be retried`, wait);
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
        const ctx = await contextFor(grant, request, target);
        const present = await provisioner.isPresent(ctx, target.state);
        const shouldBe = target.grantStatus === 'active';
        if (present === shouldBe) continue;
        // An ended grant's objects that a live grant still relies on are that grant's access, not leftovers.
        const mine = present ? (provisioner.sharedAccessKeys?.(ctx) ?? []) : [];
        if (mine.length > 0) {
          const { keep } = await shared.heldByOthers(grant, target, provisioner);
          if (mine.every((k) => keep.has(k))) continue;
        }
        const next = shouldBe ? 'pending' : 'removing';
        const fix = {
          topic: shouldBe ? ('grant.provision' as const) : ('grant.deprovision' as const),
          payload: { grantId: grant.id },
        };
        const found = {
          action: shouldBe ? 'reconcile.missing_access' : 'reconcile.leftover_access',
          details: { grantId: grant.id, resource: target.resourceName, provisioner: target.provisioner },
          then: fix,
        };
        if (
          !(await moveAudited(
            target.grantId,
            grant.requestId,
            target.resourceName,
            [target.status],
            { status: next },
            found,
          ))
        )
          continue;
        if (shouldBe) reprovisioned += 1;
        else removed += 1;
      } catch {
        // The target cannot be asked right now; the next reconcile tries again.
      }
    }
    if (reprovisioned + removed > 0) deps.afterCommit();
    return { reprovisioned, removed };
  }

  const handlers: Pick<OutboxHandlers, 'grant.provision' | 'grant.deprovision' | 'grant.extend'> = {
    'grant.provision': (item) => provisionGrant(String(item.payload.grantId ?? '')),
    'grant.deprovision': (item) => deprovisionGrant(String(item.payload.grantId ?? '')),
    'grant.extend': (item) => extendGrant(String(item.payload.grantId ?? '')),
  };

  /**
   * Moves the end of every active target of an extended grant (Postgres VALID UNTIL, a new SSH
   * certificate, a `grant.extended` webhook) without removing the access in between.
   */
  async function extendGrant(grantId: string) {
    const grant = await grantById(db, grantId);
    if (!grant || grant.status !== 'active') return;
    const request = (await getRequestDetails(db, grant.requestId))!;
    // A target whose provisioner has no end of its own to move (a group membership) needs nothing.
    const extendable = (await targetsOf(db, grantId)).filter(
      (t) => t.status === 'active' && deps.provisioners.get(t.provisioner)?.extend,
    );
    const { retry, wait } = await eachTarget(grant, extendable, {
      operation: 'extend',
      failedAction: 'grant.extend_attempt_failed',
      missingProvisioner: (name) => new Error(`no ${name} provisioner is configured`),
      run: async (target, provisioner, answered) => {
        const result = await provisioner.extend!(await contextFor(grant, request, target), target.state);
        answered();
        await moveTarget(db, grantId, target.resourceName, ['active'], {
          status: 'active',
          state: { ...target.state, ...result.state },
        });
        await audit(grant.requestId, 'grant.extended_in_target', {
          grantId,
          resource: target.resourceName,
          provisioner: target.provisioner,
          expiresAt: grant.expiresAt.toISOString(),
        });
        if (result.secret) await messenger.postAccessReady(request, target.resourceName, result);
        return false;
      },
    });
    if (retry) throw new RetryLater(`extension of ${grantId} will be retried`, wait);
  }

  return { handlers, reconcile, provisionGrant, deprovisionGrant, extendGrant };
}

export type ProvisioningService = ReturnType<typeof createProvisioningService>;
