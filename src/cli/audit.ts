import { createWriteStream } from 'node:fs';
import { openDatabase } from '../db/client.js';
import { exportReview, reviewCsv } from '../services/access-review-export.js';
import { exportAudit, verifyAuditChain } from '../services/audit-service.js';

/**
 * `npm run audit -- verify [--expect-head ID:HASH]` checks the hash chain and names the first broken event.
 * `npm run audit -- export --from 2026-01-01 --to 2026-02-01 --format jsonl|csv [--out FILE]` writes events.
 * `npm run audit -- review REVIEW_ID --format csv|json [--out FILE]` writes an access review's result.
 * Uses DATABASE_URL, or the embedded database under DATA_DIR, like the bot.
 */
const [command, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const usage =
  'usage: npm run audit -- verify [--expect-head ID:HASH] | export --from DATE --to DATE --format jsonl|csv [--out FILE] | review REVIEW_ID --format csv|json [--out FILE]';

async function main(): Promise<number> {
  if (command !== 'verify' && command !== 'export' && command !== 'review') {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const database = await openDatabase(
    process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: process.env.DATA_DIR || './.data' },
  );
  try {
    if (command === 'verify') {
      const head = flag('expect-head');
      const [id, hash] = head?.split(':') ?? [];
      const report = await verifyAuditChain(database.db, id && hash ? { id: Number(id), hash } : undefined);
      if (!report.ok) {
        process.stdout.write(`BROKEN after ${report.checked} good events: ${report.problem}\n`);
        return 1;
      }
      process.stdout.write(
        `OK: ${report.checked} events, chain head ${report.head ? `${report.head.id}:${report.head.hash}` : '(empty)'}\n`,
      );
      return 0;
    }
    if (command === 'review') return await reviewCommand(database.db);
    const format = flag('format') ?? 'jsonl';
    const from = new Date(flag('from') ?? '1970-01-01');
    const to = new Date(flag('to') ?? '9999-01-01');
    if ((format !== 'jsonl' && format !== 'csv') || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
      process.stderr.write(`${usage}\n`);
      return 2;
    }
    const out = flag('out') ? createWriteStream(flag('out')!) : process.stdout;
    const count = await exportAudit(database.db, from, to, format, (text) => void out.write(text));
    if (out !== process.stdout) await new Promise((r) => (out as ReturnType<typeof createWriteStream>).end(r));
    process.stderr.write(`Exported ${count} events.\n`);
    return 0;
  } finally {
    await database.close();
  }
}

/** An access review's result, as the HTTP API serves it (GET /api/v1/reviews/<id>). */
async function reviewCommand(db: Parameters<typeof exportReview>[0]): Promise<number> {
  const id = rest[0];
  const format = flag('format') ?? 'json';
  if (!id || !/^rev_[0-9a-z]{6,20}$/.test(id) || (format !== 'json' && format !== 'csv')) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  let result;
  try {
    result = await exportReview(db, id);
  } catch (e) {
    if ((e as { code?: string }).code !== 'not_found') throw e;
    process.stderr.write(`There is no access review ${id}.\n`);
    return 1;
  }
  const text = format === 'csv' ? reviewCsv(result) : `${JSON.stringify(result, null, 2)}\n`;
  const out = flag('out');
  if (out) {
    const file = createWriteStream(out);
    await new Promise<void>((r) => file.end(text, () => r()));
  } else process.stdout.write(text);
  process.stderr.write(
    `Exported review ${id}: ${result.people.length} people, ${result.review.undecided} undecided.\n`,
  );
  return 0;
}

process.exitCode = await main();
