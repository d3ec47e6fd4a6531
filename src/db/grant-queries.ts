import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Policy } from '../domain/policy.js';
import type { Executor } from './client.js';
import { preparedOn } from './prepared.js';
import { grants, grantTargets, type ReadyNote, type TargetStatus } from './schema/index.js';

/** Whose grant it is, what it allows and when: what the authorization index and session linking read. */
export interface GrantHolderRow {
  id: string;
  requestId: string;
  requesterId: string;
  requesterEmail: string | null;
  policy: Policy;
  /** A scheduled grant is stored at approval but allows nothing before this. */
  startsAt: Date;
  expiresAt: Date;
}

export const grantHolderColumns = {
  id: grants.id,
  requestId: grants.requestId,
  requesterId: grants.requesterId,
  requesterEmail: grants.requesterEmail,
  policy: grants.policy,
  startsAt: grants.startsAt,
  expiresAt: grants.expiresAt,
};

export interface TargetRow {
  grantId: string;
  resourceName: string;
  provisioner: string;
  status: TargetStatus;
  state: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  readyNote: ReadyNote | null;
  readySentAt: Date | null;
}

export const targetColumns = {
  grantId: grantTargets.grantId,
  resourceName: grantTargets.resourceName,
  provisioner: grantTargets.provisioner,
  status: grantTargets.status,
  state: grantTargets.state,
  attempts: grantTargets.attempts,
  lastError: grantTargets.lastError,
  readyNote: grantTargets.readyNote,
  readySentAt: grantTargets.readySentAt,
};

export async function insertTargets(
  tx: Executor,
  rows: { grantId: string; resourceName: string; provisioner: string }[],
) {
  if (rows.length === 0) return;
  await tx.insert(grantTargets).values(rows.map((r) => ({ ...r, status: 'pending' as const })));
}

export async function targetsOf(db: Executor, grantId: string): Promise<TargetRow[]> {
  return db
    .select(targetColumns)
    .from(grantTargets)
    .where(eq(grantTargets.grantId, grantId))
    .orderBy(grantTargets.resourceName);
}

/** The targets of these grants with their ready notes (what the request API tells about access), one statement. */
export async function readyNotesOf(
  db: Executor,
  grantIds: readonly string[],
): Promise<{ grantId: string; resource: string; status: TargetStatus; readyNote: ReadyNote | null }[]> {
  if (grantIds.length === 0) return [];
  return db
    .select({
      grantId: grantTargets.grantId,
      resource: grantTargets.resourceName,
      status: grantTargets.status,
      readyNote: grantTargets.readyNote,
    })
    .from(grantTargets)
    .where(inArray(grantTargets.grantId, [...grantIds]));
}

/** Marks every target of an ending grant for removal (in the transaction that ends the grant). */
export async function markTargetsForRemoval(tx: Executor, grantId: string) {
  await tx
    .update(grantTargets)
    .set({ status: 'removing', updatedAt: sql`now()` })
    .where(and(eq(grantTargets.grantId, grantId), inArray(grantTargets.status, ['pending', 'active', 'failed'])));
}

/**
 * Moves a target from one status to the next only if it is still in the expected one: a grant
 * that was revoked while its provisioning was in flight is not marked active again.
 */
export async function moveTarget(
  db: Executor,
  grantId: string,
  resourceName: string,
  from: TargetStatus[],
  patch: {
    status: TargetStatus;
    state?: Record<string, unknown>;
    lastError?: string | null;
    countAttempt?: boolean;
    readyNote?: ReadyNote;
  },
): Promise<boolean> {
  const rows = await db
    .update(grantTargets)
    .set({
      status: patch.status,
      ...(patch.state ? { state: patch.state } : {}),
      ...(patch.lastError !== undefined ? { lastError: patch.lastError?.slice(0, 1000) ?? null } : {}),
      ...(patch.countAttempt ? { attempts: sql`${grantTargets.attempts} + 1` } : {}),
      ...(patch.readyNote ? { readyNote: patch.readyNote } : {}),
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(grantTargets.grantId, grantId),
        eq(grantTargets.resourceName, resourceName),
        inArray(grantTargets.status, from),
      ),
    )
    .returning({ status: grantTargets.status });
  return rows.length > 0;
}

/** The requester's "access ready" DM for this target reached Slack. */
const readySentUpdate = (db: Executor) =>
  db
    .update(grantTargets)
    .set({ readySentAt: sql`${sql.placeholder('at')}::timestamptz` })
    .where(
      and(
        eq(grantTargets.grantId, sql.placeholder('grantId')),
        eq(grantTargets.resourceName, sql.placeholder('resource')),
      ),
    )
    .prepare('mark_ready_sent');

export async function markReadySent(db: Executor, grantId: string, resourceName: string, at: Date) {
  await preparedOn(db, 'mark_ready_sent', readySentUpdate).execute({
    at: at.toISOString(),
    grantId,
    resource: resourceName,
  });
}

export async function countAttempt(
  db: Executor,
  grantId: string,
  resourceName: string,
  error: string,
): Promise<number> {
  const [row] = await db
    .update(grantTargets)
    .set({ attempts: sql`${grantTargets.attempts} + 1`, lastError: error.slice(0, 1000), updatedAt: sql`now()` })
    .where(and(eq(grantTargets.grantId, grantId), eq(grantTargets.resourceName, resourceName)))
    .returning({ attempts: grantTargets.attempts });
  return row?.attempts ?? 0;
}

export interface GrantForProvisioning {
  id: string;
  requestId: string;
  requesterId: string;
  requesterEmail: string | null;
  status: 'active' | 'expired' | 'revoked';
  startsAt: Date;
  expiresAt: Date;
  /** When it was revoked or expired; null while active. */
  endedAt: Date | null;
}

/** The columns of a GrantForProvisioning, for every read of one. */
export const grantColumns = {
  id: grants.id,
  requestId: grants.requestId,
  requesterId: grants.requesterId,
  requesterEmail: grants.requesterEmail,
  status: grants.status,
  startsAt: grants.startsAt,
  expiresAt: grants.expiresAt,
  endedAt: grants.endedAt,
};

export async function grantById(db: Executor, id: string): Promise<GrantForProvisioning | undefined> {
  const [row] = await db.select(grantColumns).from(grants).where(eq(grants.id, id));
  return row;
}

/**
 * The same person's other live grants of the same resource through the same provisioner: active grants
 * whose target is provisioned or about to be. Their objects in a per-person target are shared with
 * this grant's, so ending this one must leave those in place (see Provisioner.sharedAccessKeys).
 */
export async function liveSiblingTargets(
  db: Executor,
  of: { grantId: string; requesterId: string; resourceName: string; provisioner: string },
) {
  return db
    .select({ ...targetColumns, grantStatus: grants.status })
    .from(grantTargets)
    .innerJoin(grants, eq(grants.id, grantTargets.grantId))
    .where(
      and(
        eq(grants.requesterId, of.requesterId),
        eq(grants.status, 'active'),
        eq(grantTargets.resourceName, of.resourceName),
        eq(grantTargets.provisioner, of.provisioner),
        inArray(grantTargets.status, ['pending', 'active']),
        sql`${grantTargets.grantId} <> ${of.grantId}`,
      ),
    );
}

/** Targets the reconcile job looks at: active ones of active grants, and removed ones of recently ended grants. */
export async function targetsToReconcile(db: Executor, endedSince: Date, limit: number) {
  return db
    .select({ ...targetColumns, grantStatus: grants.status })
    .from(grantTargets)
    .innerJoin(grants, eq(grants.id, grantTargets.grantId))
    .where(
      sql`(${grants.status} = 'active' and ${grantTargets.status} = 'active') or (${grants.status} <> 'active' and ${grantTargets.status} = 'removed' and ${grants.endedAt} >= ${endedSince.toISOString()}::timestamptz)`,
    )
    .limit(limit);
}

/** When the next active grant ends (null when none is active): the expiry job wakes then. */
export async function nextGrantEnd(db: Executor): Promise<Date | null> {
  const [row] = await db
    .select({
      at: sql<Date | null>`min(${grants.expiresAt})`.mapWith((v: string | Date | null) =>
        v === null ? null : new Date(v),
      ),
    })
    .from(grants)
    .where(eq(grants.status, 'active'));
  return row?.at ?? null;
}

/** A request's grant: its id, end and status (none before approval). */
export async function grantOfRequest(
  db: Executor,
  requestId: string,
): Promise<{ id: string; expiresAt: Date; status: string } | undefined> {
  const [grant] = await db
    .select({ id: grants.id, expiresAt: grants.expiresAt, status: grants.status })
    .from(grants)
    .where(eq(grants.requestId, requestId));
  return grant;
}

/** Moves a grant's end (an extension); its end warning may go out again for the new end. */
export async function moveGrantEnd(db: Executor, grantId: string, expiresAt: Date): Promise<void> {
  await db.update(grants).set({ expiresAt, warnedAt: null }).where(eq(grants.id, grantId));
}

/**
 * Of these requests, those with a target of this provisioner that is, or may still become, real (pending,
 * active, failed while its grant lasts, or being removed): what reconcile must leave alone.
 */
export async function requestsWithLiveTargets(
  db: Executor,
  provisioner: string,
  requestIds: readonly string[],
): Promise<Set<string>> {
  if (requestIds.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ requestId: grants.requestId })
    .from(grantTargets)
    .innerJoin(grants, eq(grants.id, grantTargets.grantId))
    .where(
      and(
        eq(grantTargets.provisioner, provisioner),
        inArray(grants.requestId, [...requestIds]),
        inArray(grantTargets.status, ['pending', 'active', 'failed', 'removing']),
      ),
    );
  return new Set(rows.map((r) => r.requestId));
}
