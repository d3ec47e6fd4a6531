import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { appendAudit } from '../db/audit-queries.js';
import { deleteBundleRow, listBundles, lockBundle, upsertBundle } from '../db/bundle-queries.js';
import { newId } from '../db/ids.js';
import { bundleFromForm, type BundleField, type BundleForm } from '../domain/bundle-input.js';
import type { BundleRow } from '../domain/catalog.js';
import { AppError } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';
import { isAdmin, requireMember } from './identity.js';

/** The tuning field's text as typed: YAML mapping resource names to their tuning. */
export type BundleFormText = Omit<BundleForm, 'tuning'> & { tuning: string };

export type BundleSaveResult = { ok: true; id: string } | { ok: false; errors: Partial<Record<BundleField, string>> };

/**
 * Bundles made and changed in App Home, as flows are (services/admin-service.ts): admins only, checked on
 * every call; rows ACCESS_CONFIG owns are refused; the change and its audit event in one transaction.
 */
export function createBundleAdmin(deps: ServiceDeps) {
  const { db, directory, clock } = deps;

  async function requireAdmin(actorId: string) {
    await requireMember(directory, actorId);
    if (!(await isAdmin(directory, deps.admins, actorId)))
      throw new AppError('not_admin', 'Only admins can change the catalogue');
  }

  const checkEditable = (row: BundleRow | undefined) => {
    if (!row) throw new AppError('not_found', 'No such bundle');
    if (row.managedBy === 'file') throw new AppError('managed_by_file', 'This bundle is managed by ACCESS_CONFIG');
  };

  async function bundles(): Promise<readonly BundleRow[]> {
    return (await deps.catalog.snapshot()).bundles;
  }

  async function saveBundle(actorId: string, bundleId: string | null, form: BundleFormText): Promise<BundleSaveResult> {
    await requireAdmin(actorId);
    let tuning: unknown;
    try {
      tuning = form.tuning.trim() ? parseYaml(form.tuning) : null;
    } catch {
      return {
        ok: false,
        errors: { tuning: 'This is not YAML: write one line per resource, like grafana: { access: read-only }.' },
      };
    }
    const { resources, flows } = await deps.catalog.snapshot();
    const made = bundleFromForm({ ...form, tuning }, resources, flows);
    if (!made.ok) return made;
    const id = bundleId ?? newId('bdl');
    return db.transaction(async (tx) => {
      const before = bundleId ? await lockBundle(tx, bundleId) : undefined;
      if (bundleId) checkEditable(before);
      const clash = (await listBundles(tx)).find((b) => b.name === made.bundle.name && b.id !== id);
      if (clash) return { ok: false as const, errors: { name: 'Another bundle already has this name.' } };
      const { id: _id, managedBy: _m, ...was } = before ?? { id: '', managedBy: 'app' };
      if (before && isDeepStrictEqual(was, made.bundle)) return { ok: true as const, id };
      await upsertBundle(tx, id, made.bundle, 'app', clock.now());
      await appendAudit(tx, {
        requestId: null,
        actor: actorId,
        action: before ? 'bundle.updated' : 'bundle.created',
        createdAt: clock.now(),
        details: { bundleId: id, before: before ?? null, after: made.bundle },
      });
      return { ok: true as const, id };
    });
  }

  async function deleteBundle(actorId: string, bundleId: string) {
    await requireAdmin(actorId);
    await db.transaction(async (tx) => {
      const before = await lockBundle(tx, bundleId);
      checkEditable(before);
      await deleteBundleRow(tx, bundleId);
      await appendAudit(tx, {
        requestId: null,
        actor: actorId,
        action: 'bundle.deleted',
        createdAt: clock.now(),
        details: { bundleId, before, after: null },
      });
    });
  }

  return { bundles, saveBundle, deleteBundle };
}

export type BundleAdmin = ReturnType<typeof createBundleAdmin>;
