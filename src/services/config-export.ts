import { stringify } from 'yaml';
import { toAccessFile } from '../domain/access-file-mapping.js';
import type { Bundle } from '../domain/bundle.js';
import type { Flow } from '../domain/flow.js';
import type { Resource } from '../domain/resource.js';

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The catalogue as ACCESS_CONFIG YAML (`npm run config -- export`): resources, flows and bundles sorted by
 * name (code-point order, whatever the database collation), `header` as `#` comment lines on top.
 * Applying the text to the database it came from changes nothing.
 */
export function exportAccessFile(
  resources: Omit<Resource, 'id'>[],
  flows: Omit<Flow, 'id'>[],
  header = '',
  bundles: Omit<Bundle, 'id'>[] = [],
): string {
  const body = stringify(
    toAccessFile([...resources].sort(byName), [...flows].sort(byName), [...bundles].sort(byName)),
    { lineWidth: 0 },
  );
  const comment = header
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `# ${line}\n`)
    .join('');
  return comment + body;
}
