import { describe, expect, it } from 'vitest';
import { AccessFileError, parseAccessFile } from './catalog-service.js';

const good = `
resources:
  - name: prod-db
    type: database
    tags: [production, postgres]
    description: Production PostgreSQL
flows:
  - name: support-prod-db
    description: Support may request production DB access
    resources: { names: [prod-db], tags: [production] }
    requesters: { users: [U0REQ], groups: [S0SUPPORT] }
    approvers:  { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
`;

describe('ACCESS_CONFIG file', () => {
  it('parses the documented example', () => {
    const file = parseAccessFile(good);
    expect(file.resources[0]).toEqual({
      name: 'prod-db',
      type: 'database',
      tags: ['production', 'postgres'],
      description: 'Production PostgreSQL',
    });
    expect(file.flows[0]).toMatchObject({
      name: 'support-prod-db',
      max_duration: 480,
      allow_self_approval: false,
      enabled: true,
    });
  });

  it.each([
    [good.replace('type: database', 'type: mainframe'), 'resources[0].type'],
    [good.replace('max_duration: 8h', 'max_duration: forever'), 'flows[0].max_duration: must be a duration'],
    [good.replace('users: [U0APPR]', 'users: [alice]'), 'flows[0].approvers.users[0]'],
    [good.replace('names: [prod-db]', 'names: [nope]'), 'flows[0].resources.names[0]: unknown resource "nope"'],
    [good.replace('    description: Production PostgreSQL', '    colour: blue'), 'resources[0]'],
    [good.replace('name: prod-db\n', 'name: Prod DB\n'), 'resources[0].name'],
    ['resources: [', 'not valid YAML'],
  ])('reports a wrong field with its path (%#)', (text, expected) => {
    expect(() => parseAccessFile(text)).toThrow(AccessFileError);
    expect(() => parseAccessFile(text)).toThrow(expected);
  });
});
