import { describe, expect, it } from 'vitest';
import { AccessFileSchema } from './access-file.js';
import { resourceFromFile } from './access-file-mapping.js';
import type { ResourceRow } from './catalog.js';
import { planCatalog, planView, shownValue } from './catalog-plan.js';

const file = (resources: unknown[]) => AccessFileSchema.parse({ resources, flows: [] });
const row = (r: Record<string, unknown>, extra: Partial<ResourceRow>): ResourceRow => ({
  ...resourceFromFile(file([r]).resources[0]!),
  id: `res_${String(r.name)}`,
  managedBy: 'file',
  ...extra,
});

describe('the catalogue plan', () => {
  it('shows references as written and hides literal secrets and URL passwords', () => {
    expect(shownValue('provisioner.admin_url', 'env:ACCESS_SECRET_DB')).toBe('env:ACCESS_SECRET_DB');
    expect(shownValue('provisioner.admin_url', 'postgres://u:hunter2@db/x')).toBe('(a value, hidden)');
    expect(shownValue('provisioner.api_token', 'abc')).toBe('(a value, hidden)');
    expect(shownValue('provisioner.url', 'https://bot:hunter2@hooks.example.com/x')).toBe(
      'https://bot:***@hooks.example.com/x',
    );
    expect(shownValue('tags', ['a', 'b'])).toBe('[a, b]');
    expect(shownValue('description', undefined)).toBe('(none)');
  });

  it('a file naming a synced resource takes it over, said with its source and group; one it does not name is left alone', () => {
    const origin = { source: 'okta-jit', groupId: '00g1', groupName: 'jit-db' };
    const current = {
      resources: [
        row({ name: 'jit-db', type: 'group' }, { managedBy: 'sync', origin }),
        row({ name: 'other', type: 'group' }, { managedBy: 'sync', origin }),
        row({ name: 'gone', type: 'ssh' }, {}),
      ],
      flows: [],
    };
    const plan = planCatalog(current, file([{ name: 'jit-db', type: 'group', tags: ['jit'] }]));
    expect(planView(plan)).toEqual({
      summary: { add: 0, change: 1, remove: 1 },
      changes: [
        {
          action: 'change',
          kind: 'resource',
          name: 'jit-db',
          takes_over: 'group_source',
          origin,
          fields: [
            { field: 'managed_by', before: 'sync', after: 'file' },
            { field: 'tags', before: '(none)', after: '[jit]' },
          ],
        },
        {
          action: 'remove',
          kind: 'resource',
          name: 'gone',
          fields: [{ field: 'type', before: 'ssh', after: '(none)' }],
        },
      ],
      left_alone: { app_home: 0, group_sources: 1 },
    });
    // What apply writes: the taken-over row keeps its id.
    expect(plan.changes[0]).toMatchObject({ write: { kind: 'resource', id: 'res_jit-db' } });
  });

  it('a file-managed row that already matches is no change at all', () => {
    const r = { name: 'db', type: 'database', tags: ['x'] };
    expect(planCatalog({ resources: [row(r, {})], flows: [] }, file([r])).changes).toEqual([]);
  });
});
