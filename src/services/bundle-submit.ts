import { appendAudit } from '../db/audit-queries.js';
import { insertBundleRequest } from '../db/bundle-queries.js';
import type { Executor } from '../db/client.js';
import { enqueue } from '../db/outbox-queries.js';
import { bundleDuration, requestedScope, withinRequested, type BundleOffer } from '../domain/bundle.js';
import type { RequestableResource } from '../domain/flow.js';
import { formRules } from '../domain/request-form.js';
import type { ResourceGrant } from '../domain/policy.js';
import type { Resource } from '../domain/resource.js';
import type { AutoApproval } from './auto-approval.js';

/** The bundle picked in a form, among those this person is offered (never trusted from the form). */
export function offeredBundle(offers: readonly BundleOffer[], name: string | null | undefined): BundleOffer | null {
  return name ? (offers.find((o) => o.bundle.name === name) ?? null) : null;
}

/** What the form shows once a bundle is picked: its requestable parts preselected, its duration among those offered. */
export function bundleSelection(offer: BundleOffer, offered: (chosen: RequestableResource[]) => number[]) {
  const names = offer.parts.map((p) => p.resource.name);
  return { names, durationMinutes: bundleDuration(offer.bundle, offered(offer.parts)) };
}

/** The duration a pick of the bundle gets when none is given: its own, among what its parts' flows offer. */
export function bundleDurationFor(offer: BundleOffer, requestable: readonly RequestableResource[]): number | null {
  return bundleSelection(offer, (chosen) => formRules(requestable, chosen).durations).durationMinutes;
}

/** A submission naming a bundle (API, CLI, MCP) may leave out the resources and the duration: the bundle's. */
export function withBundleDefaults(
  offer: BundleOffer | null,
  requestable: readonly RequestableResource[],
  names: string[],
  durationMinutes: number | null,
): { names: string[]; durationMinutes: number | null } {
  if (!offer) return { names, durationMinutes };
  return {
    names: names.length ? names : offer.parts.map((p) => p.resource.name),
    durationMinutes: durationMinutes ?? bundleDurationFor(offer, requestable),
  };
}

/** The requested scope of one request's resources, each resource's own (null: nothing particular asked). */
export function requestedFor(offer: BundleOffer | null, resource: string): ResourceGrant | null {
  return offer ? (requestedScope(offer.bundle, [resource])[0] ?? null) : null;
}

/** A bundle's requested scope holds for an auto-approval rule too; a rule that grants nothing of it goes to people. */
export function narrowRuleToRequested(
  rule: AutoApproval | null,
  offer: BundleOffer,
  resources: readonly Resource[],
): AutoApproval | null {
  if (!rule) return null;
  const policy = withinRequested(
    rule.policy,
    resources.flatMap((r) => requestedFor(offer, r.name) ?? []),
  );
  return policy ? { ...rule, policy } : null;
}

/**
 * The bundle pick, inside the transaction that stores its requests (before them: they point at it), and
 * its audit event naming the bundle and every request it became.
 */
export async function writeBundleRequest(
  tx: Executor,
  w: { id: string; offer: BundleOffer; requesterId: string; actor: string; requestIds: string[]; now: Date },
) {
  await insertBundleRequest(tx, {
    id: w.id,
    bundleName: w.offer.bundle.name,
    requesterId: w.requesterId,
    leftOut: w.offer.leftOut,
    createdAt: w.now,
  });
  await enqueue(tx, [{ topic: 'bundle.post', requestId: w.requestIds[0]!, payload: { bundleRequestId: w.id } }]);
  await appendAudit(tx, {
    requestId: null,
    actor: w.actor,
    action: 'bundle.requested',
    createdAt: w.now,
    details: {
      bundle: w.offer.bundle.name,
      bundle_request_id: w.id,
      requests: w.requestIds,
      ...(w.offer.leftOut.length ? { left_out: w.offer.leftOut } : {}),
    },
  });
}
