import { describe, expect, it } from 'vitest';
import { createMysqlProvisioner } from './mysql-provisioner.js';
import { parseAdminUrl } from './admin-connection.js';

describe('mysql settings, checked when a resource is saved', () => {
  const { validateSettings } = createMysqlProvisioner();
  const ok = { admin_url: 'env:ACCESS_SECRET_SHOP_MYSQL' };

  it('accepts a reference to a declared secret and every optional setting', () => {
    expect(
      validateSettings({
        ...ok,
        host: 'db',
        port: 3307,
        user_prefix: 'jit_',
        user_host: '10.0.%',
        tables: ['a', 'b.c'],
      }),
    ).toBeNull();
  });

  it('refuses the URL in clear, a typo, a bad prefix, host or table, each in one sentence', () => {
    expect(validateSettings({ admin_url: 'mysql://root:pw@db/' })).toMatch(/^admin_url must be a secret reference/);
    expect(validateSettings({ ...ok, user_prefx: 'x_' })).toBe(
      'unknown mysql setting user_prefx; known: admin_url, host, port, user_prefix, user_host, tables.',
    );
    expect(validateSettings({ ...ok, user_prefix: 'Jit-' })).toMatch(/^user_prefix must start/);
    expect(validateSettings({ ...ok, user_host: "%' OR '1" })).toMatch(/^user_host must be/);
    expect(validateSettings({ ...ok, tables: 'a.b.c' })).toMatch(/^tables must list/);
  });
});

describe('the admin URL', () => {
  it('is read without ever putting its value in an error', () => {
    expect(parseAdminUrl('mysql://bot:p%40ss@db.internal:3307/x?ssl=true')).toEqual({
      host: 'db.internal',
      port: 3307,
      user: 'bot',
      password: 'p@ss',
      ssl: true,
    });
    for (const bad of ['mysql://bot:hunter2@', 'postgres://bot:hunter2@db/', 'not a url hunter2'])
      expect(() => parseAdminUrl(bad)).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
      );
  });
});
