import { createWriteStream } from 'node:fs';
import { openDatabase } from '../db/client.js';
import { exportAudit, verifyAuditChain } from '../services/audit-service.js';

/**
 * `npm run audit -- verify [--expect-head ID:HASH]` checks the hash chain and names the first broken event.
 * `npm run audit -- export --from 2026-01-01 --to 2026-02-01 --format jsonl|csv [--out FILE]` writes events.
 * Uses DATABASE_URL, or the embedded database under DATA_DIR, like the bot.
 */
const [command, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const usage =
  'usage: npm run audit -- verify [--expect-head ID:HASH] | export --from DATE --to DATE --format jsonl|csv [--out FILE]';

async function main(): Promise<number> {
  if (command !== 'verify' && command !== 'export') {
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

process.exitCode = await main();
