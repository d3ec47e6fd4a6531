import type { z } from 'zod';
import type { FileFlow } from './access-file.js';
import { flowFromFile } from './access-file-mapping.js';
import { bundleProblems, type FileBundle } from './bundle.js';
import type { Resource } from './resource.js';

/**
 * The file's bundles checked against its own resources and flows (each problem with its path in the file):
 * a bundle is refused at load, never found broken when someone picks it.
 */
export function checkFileBundles(
  file: { resources: Pick<Resource, 'name' | 'type' | 'tags'>[]; flows: FileFlow[]; bundles: FileBundle[] },
  ctx: z.RefinementCtx,
) {
  if (file.bundles.length === 0) return;
  const flows = file.flows.map((f, i) => ({ ...flowFromFile(f), id: `file-${i}` }));
  file.bundles.forEach((b, i) => {
    const parts = b.resources.map((p) =>
      typeof p === 'string' ? { resource: p, tuning: undefined } : { resource: p.name, tuning: p.tuning },
    );
    const problems = bundleProblems(
      {
        name: b.name,
        description: b.description,
        parts,
        durationMinutes: b.duration,
        requesterUsers: [],
        requesterGroups: [],
      },
      file.resources,
      flows,
    );
    for (const p of problems) ctx.addIssue({ code: 'custom', message: p.message, path: ['bundles', i, ...p.path] });
  });
}
