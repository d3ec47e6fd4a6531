import { openDatabase } from './client.js';

/** `npm run db:migrate`: applies the committed migrations to DATABASE_URL, or to the embedded database. */
const target = process.env.DATABASE_URL
  ? { url: process.env.DATABASE_URL }
  : { dataDir: process.env.DATA_DIR || './.data' };
const database = await openDatabase(target);
try {
  await database.migrate();
  process.stdout.write(`Migrations applied (${database.kind}).\n`);
} finally {
  await database.close();
}
