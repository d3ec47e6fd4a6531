import { z } from 'zod';
import { BundleTuningFileSchema, bundleProblems, grantFromTuning, MAX_BUNDLE_PARTS, type Bundle } from './bundle.js';
import { parseDuration } from './duration.js';
import type { Flow } from './flow.js';
import { ResourceNameSchema, type Resource } from './resource.js';

/** The bundle modal's fields (slack/admin/bundle-modal.ts), each error shown under its own field. */
export type BundleField = 'name' | 'description' | 'resources' | 'duration' | 'tuning';

export interface BundleForm {
  name: string;
  description: string;
  resources: string[];
  duration: string;
  /** The tuning text's parsed YAML: a mapping of resource name to that resource's tuning (null: left empty). */
  tuning: unknown;
}

const TuningMap = z.record(z.string(), BundleTuningFileSchema);

/** The form as a bundle, or the sentence per field that says what is wrong (paths inside the tuning named). */
export function bundleFromForm(
  form: BundleForm,
  resources: readonly Pick<Resource, 'name' | 'type' | 'tags'>[],
  flows: readonly Flow[],
): { ok: true; bundle: Omit<Bundle, 'id'> } | { ok: false; errors: Partial<Record<BundleField, string>> } {
  const errors: Partial<Record<BundleField, string>> = {};
  const name = ResourceNameSchema.safeParse(form.name.trim());
  if (!name.success) errors.name = `Name: ${name.error.issues[0]!.message}.`;
  if (form.description.length > 500) errors.description = 'Keep the description under 500 characters.';
  const picked = [...new Set(form.resources)];
  if (picked.length === 0) errors.resources = 'Pick at least one resource.';
  else if (picked.length > MAX_BUNDLE_PARTS) errors.resources = `Pick at most ${MAX_BUNDLE_PARTS} resources.`;
  const unknown = picked.find((p) => !resources.some((r) => r.name === p));
  if (unknown) errors.resources = `“${unknown.slice(0, 64)}” is not in the catalogue.`;
  const minutes = parseDuration(form.duration.trim());
  if (minutes === undefined) errors.duration = 'Write a duration like 30m, 2h or 1d.';
  const map = TuningMap.safeParse(form.tuning ?? {});
  const tuning = map.success ? map.data : {};
  if (!map.success) {
    const issue = map.error.issues[0]!;
    errors.tuning = `${issue.path.map(String).join('.') || 'tuning'}: ${issue.message}. Write one line per resource, like prod-db: { access: read-only, databases: [app] }.`;
  }
  const stray = Object.keys(tuning).find((k) => !picked.includes(k));
  if (stray) errors.tuning = `${stray.slice(0, 64)}: not one of the picked resources.`;
  for (const [resource, t] of Object.entries(tuning)) {
    const type = resources.find((r) => r.name === resource)?.type;
    const made = type ? grantFromTuning(type, resource, t) : null;
    if (made && 'problem' in made) errors.tuning ??= `${resource}.${made.key ?? 'tuning'}: ${made.problem}.`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const bundle = {
    name: name.data!,
    description: form.description.trim(),
    parts: picked.map((resource) => {
      const made = tuning[resource]
        ? grantFromTuning(resources.find((r) => r.name === resource)!.type, resource, tuning[resource])
        : null;
      return { resource, tuning: made && 'grant' in made ? made.grant : null };
    }),
    durationMinutes: minutes!,
    requesterUsers: [],
    requesterGroups: [],
  };
  const problems = bundleProblems(
    { ...bundle, parts: picked.map((resource) => ({ resource, tuning: tuning[resource] })) },
    resources,
    flows,
  );
  const tooLong = problems.find((p) => p.path[0] === 'duration');
  if (tooLong) return { ok: false, errors: { duration: `This is ${tooLong.message}.` } };
  return { ok: true, bundle };
}
