import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  account,
  databasePattern,
  expiryDays,
  grantTargets,
  nativePasswordHash,
  requestIdOf,
  tablesSetting,
  userHostSetting,
  userNameFor,
} from './mysql-names.js';

describe('mysql names', () => {
  it('a grant’s account is the prefix and its request, and the request is read back from it', () => {
    expect(userNameFor('req_7f3k2m9x4q')).toBe('jit_7f3k2m9x4q');
    expect(requestIdOf('jit_7f3k2m9x4q')).toBe('req_7f3k2m9x4q');
    expect(requestIdOf('jit_7f3k2m9x4q', 'other_')).toBeNull();
    expect(requestIdOf('jit_app')).toBeNull();
    expect(() => userNameFor("req_x'; DROP USER root; --")).toThrow();
  });

  it('an account or host with a quote never reaches a statement', () => {
    expect(account('jit_abc', '%')).toBe("'jit_abc'@'%'");
    expect(() => account('jit_abc', "%' IDENTIFIED BY 'x")).toThrow();
    expect(userHostSetting("10.0.%'")).toBeInstanceOf(Error);
    expect(userHostSetting(undefined)).toBe('%');
  });

  it('a database-level grant escapes the wildcards _ and %', () => {
    expect(databasePattern('app_1')).toBe('`app\\_1`');
    expect(databasePattern('a%b')).toBe('`a\\%b`');
  });

  it('tables narrow each approved database; a database.table entry counts only in its database', () => {
    const tables = tablesSetting('orders, billing.invoices') as Exclude<ReturnType<typeof tablesSetting>, Error>;
    expect(tables).toEqual([
      { database: null, table: 'orders' },
      { database: 'billing', table: 'invoices' },
    ]);
    expect(Object.fromEntries(grantTargets(['app', 'billing'], tables))).toEqual({
      app: ['`app`.`orders`'],
      billing: ['`billing`.`orders`', '`billing`.`invoices`'],
    });
    expect(Object.fromEntries(grantTargets(['app'], null))).toEqual({ app: ['`app`.*'] });
    expect(tablesSetting('a.b.c')).toBeInstanceOf(Error);
    expect(tablesSetting('orders`')).toBeInstanceOf(Error);
  });

  it('the password hash is MariaDB’s mysql_native_password form', () => {
    // The documented value of PASSWORD('password') in MySQL and MariaDB.
    expect(nativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
    const inner = createHash('sha1').update('x').digest();
    expect(nativePasswordHash('x')).toBe(`*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`);
  });

  it('password expiry counts whole days, at least one', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    expect(expiryDays(start, new Date('2026-01-01T01:00:00Z'))).toBe(1);
    expect(expiryDays(start, new Date('2026-01-02T00:00:01Z'))).toBe(2);
  });
});
