import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'sandbox/**/*.test.ts', 'doubles/**/*.test.ts', 'test/**/*.test.ts'],
    // Finds (or starts) PostgreSQL once, builds a migrated template database and provides
    // `pgAdminUrl` / `pgTemplate` to test files (see test/support/database.ts).
    // Also finds (or starts) MariaDB on 127.0.0.1:3306 for the mysql provisioner's tests (mysqlRootUrl).
    globalSetup: ['test/support/global-setup.ts', 'test/support/mariadb-global-setup.ts'],
    // Hang guards, not budgets: the suite must pass on two cores shared with other CPU-heavy work, so no test
    // or hook is held to how long it "should" take (how fast things are is `npm run bench`'s business).
    // Waits inside tests have their own, lower guard (doubles/support/until.ts) that names what never came.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // A 2-core machine: two test files at a time, each with its own database.
    maxWorkers: 2,
  },
});
