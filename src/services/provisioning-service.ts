import { grantById, markReadySent, moveTarget, targetsOf } from '../db/grant-queries.js';
import { grantWork, type GrantWork } from '../db/grant-work.js';
import type { OutboxBatchHandlers, OutboxHandlers } from '../domain/outbox.js';
import { getRequestDetails, type RequestDetails } from '../db/request-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import { PermanentProvisioningError, type ProvisionResult } from '../provisioners/port.js';
import { RetryLater } from './retry-later.js';
import { createDeprovisioning } from './deprovisioning.js';
import { createReconcile } from './reconcile.js';
import { createTargetSteps } from './target-steps.js';
import { noopMetrics } from './ports.js';
import { type Messenger } from './ports-messengers.js';
import type { ServiceDeps } from './deps.js';

export type { AccessReady } from './ports-messengers.js';

/** After this many failed attempts the requester and approvers hear that provisioning is still failing. */
const WARN_AFTER_ATTEMPTS = 3;

/**
 * Makes grants real in their targets and takes them away. Runs from the outbox (after the decision
 * committed), so every call is retried with backoff; each attempt and outcome is audited, secrets never.
 */
export function createProvisioningService(deps: ServiceDeps, messenger: Messenger) {
  const { db, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;
  const seconds = (from: Date) => Math.max(0, (clock.now().getTime() - from.getTime()) / 1000);
  const steps = createTargetSteps(deps);
  const { audit, moveAudited, restoreSiblings, eachTarget, contextFor, shared } = steps;
  const reconcile = createReconcile(deps, { moveAudited, contextFor, shared });
  const deprovisioning = createDeprovisioning(deps, steps);

  async function provisionGrant(grantId: string) {
    // The grant, its request, targets, their resources and the requester's SSH key: one statement.
    const work = await grantWork(db, grantId);
    if (!work || work.grant.status !== 'active') return;
    const { grant, request } = work;
    // A scheduled grant is never made real before its start by the bot's clock, even if the item came
    // due early (the outbox runs on the database's clock): wait out the rest.
    const early = Math.ceil((grant.startsAt.getTime() - clock.now().getTime()) / 1000);
    if (early > 0) throw new RetryLater(`grant ${grantId} starts in ${early}s`, early);
    const justFailed = new Set<string>();
    // A target that leaves "pending" changes what the requester's message says ("being set up").
    let settled = false;
    const pending = work.targets.filter((t) => t.status === 'pending');
    const attempt = await eachTarget(grant, pending, {
      operation: 'provision',
      failedAction: 'grant.provision_attempt_failed',
      missingProvisioner: (name) => new PermanentProvisioningError(`no ${name} provisioner is configured`),
      run: async (target, provisioner, answered) => {
        const ctx = await contextFor(grant, request, target, work);
        const result = await provisioner.provision(ctx);
        answered();
        const provisioned = {
          action: 'grant.provisioned' as const,
          details: { grantId, resource: target.resourceName, provisioner: target.provisioner, state: result.state },
        };
        const readyNote = {
          instructions: result.instructions ?? null,
          secretLabel: result.secret?.label ?? null,
          certificate: result.certificate ?? null,
        };
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
        settled = true;
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
        settled = true;
        await messenger.postProvisioningProblem(request, target.resourceName, message, true);
      },
      afterFailure: async (target, message, attempts) => {
        if (attempts === WARN_AFTER_ATTEMPTS)
          await messenger.postProvisioningProblem(request, target.resourceName, message, false);
      },
    });
    if (settled) {
      await enqueue(db, [{ topic: 'messages.refresh', requestId: grant.requestId }]);
      // The refresh is in the other lane: wake it now rather than at its next poll (up to 2 s later).
      deps.afterCommit(['messages']);
    }
    const owed = !(await resendOwedReady(work, justFailed));
    if (attempt.retry || owed) throw new RetryLater(`provisioning of ${grantId} will be retried`, attempt.wait);
  }

  async function tellReady(grantId: string, request: RequestDetails, resource: string, result: ProvisionResult) {
    await messenger.postAccessReady(request, resource, result);
    await markReadySent(db, grantId, resource, clock.now());
  }

  /**
   * Active targets whose "access ready" DM never reached Slack (Slack failed, or the bot died between
   * the commit and the DM), as they were when the work was read: those made active by this attempt were
   * told already, or failed to be (`skip`). The secret of the first was never stored, so one that carried
   * a secret is provisioned again, which issues a fresh one (a new password, a new certificate): the
   * first reached no one. Audited, never with the secret. False when something is still owed.
   */
  async function resendOwedReady(work: GrantWork, skip: ReadonlySet<string>): Promise<boolean> {
    const { grant, request } = work;
    let done = true;
    for (const target of work.targets.filter(
      (t) => t.status === 'active' && t.readySentAt === null && !skip.has(t.resourceName),
    )) {
      const provisioner = deps.provisioners.get(target.provisioner);
      try {
        let result: ProvisionResult = {
          state: target.state,
          ...(target.readyNote?.instructions ? { instructions: target.readyNote.instructions } : {}),
        };
        if (target.readyNote?.secretLabel && provisioner) {
          result = await provisioner.provision(await contextFor(grant, request, target, work));
          const reissued = {
            action: 'grant.secret_reissued' as const,
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
              {
                status: 'active',
                state: result.state,
                ...(result.certificate ? { readyNote: { ...target.readyNote!, certificate: result.certificate } } : {}),
              },
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
    const [outcome] = await deprovisioning.deprovisionGrants([grantId]);
    if (outcome?.status === 'rejected') throw outcome.reason;
  }

  const handlers: Pick<OutboxHandlers, 'grant.provision' | 'grant.deprovision' | 'grant.extend'> = {
    'grant.provision': (item) => provisionGrant(String(item.payload.grantId ?? '')),
    'grant.deprovision': (item) => deprovisionGrant(String(item.payload.grantId ?? '')),
    'grant.extend': (item) => extendGrant(String(item.payload.grantId ?? '')),
  };

  /** Removals many at a time (a burst of expiries): one load and one record for the lot (deprovisioning.ts). */
  const batchHandlers: Pick<OutboxBatchHandlers, 'grant.deprovision'> = {
    'grant.deprovision': (items) =>
      deprovisioning.deprovisionGrants(items.map((item) => String(item.payload.grantId ?? ''))),
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
          // A new SSH certificate covers the new end: the request API hands out this one from now on.
          ...(result.certificate
            ? {
                readyNote: {
                  instructions: target.readyNote?.instructions ?? result.instructions ?? null,
                  secretLabel: target.readyNote?.secretLabel ?? result.secret?.label ?? null,
                  certificate: result.certificate,
                },
              }
            : {}),
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

  return { handlers, batchHandlers, reconcile, provisionGrant, deprovisionGrant, extendGrant };
}

export type ProvisioningService = ReturnType<typeof createProvisioningService>;
