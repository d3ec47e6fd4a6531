import { describe, expect, it } from 'vitest';
import { AccessFileSchema } from './access-file.js';
import { groupSourceFromFile, type GroupSource } from './group-source.js';
import { groupEndOf, groupEndedBy, planGroupSync, resourceFor, resourceNameFor, type SyncedRow } from './group-sync.js';

const source: GroupSource = {
  name: 'okta-jit',
  kind: 'okta',
  connection: { org_url: 'https://example.okta.com', token: 'env:ACCESS_SECRET_OKTA' },
  filter: { namePrefix: 'jit-', attribute: null, descriptionPrefix: null },
  tags: ['jit'],
  resourcePrefix: 'okta-',
  intervalMinutes: 15,
};
const group = (id: string, name: string) => ({ id, name, description: '' });
const row = (id: string, name: string, over: Partial<SyncedRow> = {}): SyncedRow => ({
  id: `res_${id}`,
  name: resourceNameFor('okta-', name)!,
  groupId: id,
  groupName: name,
  resource: resourceFor(source, group(id, name), resourceNameFor('okta-', name)!),
  retired: false,
  busy: false,
  ...over,
});

describe('resource names from group names', () => {
  it.each([
    ['jit-db', 'okta-jit-db'],
    ['JIT Prod / Logs', 'okta-jit-prod-logs'],
    ['Équipe Données', 'okta-equipe-donnees'],
    ['---', 'okta'],
  ])('%s becomes %s', (name, expected) => expect(resourceNameFor('okta-', name)).toBe(expected));

  it('a name with nothing usable and no prefix makes none', () => expect(resourceNameFor('', '!!!')).toBeNull());
});

describe('planGroupSync', () => {
  it('creates what is new, leaves what matches alone, and lists what is missing', () => {
    const plan = planGroupSync(
      source,
      [group('g1', 'jit-db'), group('g2', 'jit-new')],
      [row('g1', 'jit-db'), row('g3', 'jit-old')],
      new Set(),
    );
    expect(plan.changes.map((c) => [c.kind, c.kind === 'skip' ? c.reason : c.resource.name])).toEqual([
      ['create', 'okta-jit-new'],
    ]);
    expect(plan.missing.map((r) => r.groupId)).toEqual(['g3']);
  });

  it('a rename renames the resource, unless it is busy: then only the rest follows', () => {
    const free = planGroupSync(source, [group('g1', 'jit-database')], [row('g1', 'jit-db')], new Set());
    expect(free.changes[0]).toMatchObject({
      kind: 'update',
      renameDeferred: false,
      resource: { name: 'okta-jit-database' },
    });
    const busy = planGroupSync(source, [group('g1', 'jit-database')], [row('g1', 'jit-db', { busy: true })], new Set());
    expect(busy.changes[0]).toMatchObject({ kind: 'update', renameDeferred: true, resource: { name: 'okta-jit-db' } });
  });

  it('never takes a name held by a resource the source did not make, nor one a retired row still holds', () => {
    const plan = planGroupSync(
      source,
      [group('g1', 'jit-db'), group('g2', 'jit-old')],
      [row('g9', 'jit-old', { retired: true, busy: true })],
      new Set(['okta-jit-db']),
    );
    expect(plan.changes.map((c) => c.kind)).toEqual(['skip', 'skip']);
  });

  it('a retired row whose group is listed again comes back', () => {
    const plan = planGroupSync(source, [group('g1', 'jit-db')], [row('g1', 'jit-db', { retired: true })], new Set());
    expect(plan.changes).toMatchObject([{ kind: 'update', row: { id: 'res_g1' } }]);
  });
});

describe('the end marker', () => {
  it('round-trips, and no user id reads as one', () => {
    expect(groupEndOf({ endedBy: groupEndedBy('gone', 'entra', 'entra-jit-sql') })).toEqual({
      reason: 'gone',
      kind: 'entra',
      resource: 'entra-jit-sql',
      provider: 'Entra ID',
    });
    expect(groupEndOf({ endedBy: 'U0APPR' })).toBeNull();
  });
});

describe('group_sources in the file', () => {
  const parse = (source: unknown) => AccessFileSchema.safeParse({ group_sources: [source] });
  const okta = { name: 'okta-jit', source: 'okta', connection: { org_url: 'https://x.okta.com' }, tags: ['jit'] };

  it('needs a filter: a source never takes every group of a directory', () => {
    expect(parse({ ...okta, filter: {} }).error?.issues[0]?.message).toContain(
      'give name_prefix, attribute or description_prefix',
    );
  });

  it('reads the file into the domain shape, with the interval in minutes', () => {
    const result = parse({ ...okta, filter: { attribute: { name: 'jitEligible', equals: true } }, interval: '1h' });
    expect(groupSourceFromFile(result.data!.group_sources[0]!)).toMatchObject({
      kind: 'okta',
      filter: { attribute: { name: 'jitEligible', equals: true }, namePrefix: null },
      intervalMinutes: 60,
      resourcePrefix: '',
    });
  });

  it('refuses what the provider cannot filter on', () => {
    expect(parse({ ...okta, filter: { description_prefix: 'JIT' } }).error?.issues[0]?.message).toContain(
      'for Entra ID',
    );
    const entra = { ...okta, source: 'entra', filter: { attribute: { name: 'extensionAttribute1', equals: 'x' } } };
    expect(parse(entra).error?.issues[0]?.message).toContain('directory extension property');
    expect(
      parse({ ...okta, filter: { name_prefix: 'jit-' }, connection: { group_id: '00g' } }).error?.issues[0]?.message,
    ).toContain('leave group_id out');
  });
});
