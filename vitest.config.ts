import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'sandbox/**/*.test.ts', 'doubles/**/*.test.ts', 'test/**/*.test.ts'],
    // Finds (or starts) PostgreSQL once, builds a migrated template database and provides
    // `pgAdminUrl` / `pgTemplate` to test files (see test/support/database.ts).
    // Also finds (or starts) MariaDB on 127.0.0.1:3306 for the mysql provisioner's tests (mysqlRootUrl).
    globalSetup: ['test/support/global-setup.ts', 'test/support/mariadb-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A 2-core machine: two test files at a time, each with its own database.
    maxWorkers: 2,
  },
});
