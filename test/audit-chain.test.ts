import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, auditAfter } from '../src/db/audit-queries.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { exportAudit, parseExport, verifyAuditChain } from '../src/services/audit-service.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

async function seed(database: Database, n: number) {
  for (let i = 0; i < n; i++) {
    await appendAudit(database.db, {
      requestId: `req_chain${String(i).padStart(5, '0')}`,
      actor: i % 2 ? 'U0APPR' : 'system',
      action: i % 3 ? 'request.approved' : 'request.created',
      details: { n: i, text: `line, with "quotes"\nand a newline ${i}`, nested: { z: 1, a: [1, 'two', null] } },
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
    });
  }
}

/** Runs SQL as a superuser with triggers off: what an attacker with database access could do. */
async function tamper(url: string, statement: string) {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe('set local session_replication_role = replica');
      await tx.unsafe(statement);
    });
  } finally {
    await sql.end();
  }
}

describe('the audit trail on PostgreSQL', () => {
  let target: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    target = await createTestDatabase();
    database = await openDatabase({ url: target.url });
    await seed(database, 30);
  });
  afterAll(async () => {
    await database.close();
    await target.drop();
  });

  it('a clean chain verifies', async () => {
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, checked: 30 });
  });

  it('concurrent appends never fork the chain', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendAudit(database.db, {
          requestId: null,
          actor: 'system',
          action: 'config.applied',
          details: { i },
          createdAt: new Date(),
        }),
      ),
    );
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, checked: 50 });
  });

  it('the bot cannot update, delete or truncate audit rows', async () => {
    const sql = postgres(target.url, { onnotice: () => {}, max: 1 });
    await expect(sql`update audit_events set actor = 'mallory' where id = 3`).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events where id = 3`).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`).rejects.toThrow(/append-only/);
    await sql.end();
  });

  it('exports round-trip as JSON lines and as CSV', async () => {
    const rows = await auditAfter(database.db, 0, 1000);
    for (const format of ['jsonl', 'csv'] as const) {
      let text = '';
      const count = await exportAudit(database.db, new Date('2000-01-01'), new Date('2100-01-01'), format, (t) => {
        text += t;
      });
      expect(count).toBe(rows.length);
      const parsed = parseExport(text, format);
      expect(parsed).toEqual(
        rows.map((e) => ({
          id: e.id,
          created_at: e.createdAt.toISOString(),
          request_id: e.requestId,
          actor: e.actor,
          action: e.action,
          details: e.details,
          prev_hash: e.prevHash,
          hash: e.hash,
        })),
      );
    }
    let window = '';
    await exportAudit(
      database.db,
      new Date(Date.UTC(2026, 0, 1, 0, 10)),
      new Date(Date.UTC(2026, 0, 1, 0, 20)),
      'jsonl',
      (t) => {
        window += t;
      },
    );
    expect(parseExport(window, 'jsonl').map((e) => (e.details as { n: number }).n)).toEqual([
      10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
  });

  it('`npm run audit -- verify` names the first changed event', async () => {
    const ok = await run(process.execPath, ['--import', 'tsx', 'src/cli/audit.ts', 'verify'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: target.url },
    });
    expect(ok.stdout).toMatch(/^OK: 50 events, chain head 50:[0-9a-f]{64}/);
    await tamper(target.url, `update audit_events set details = jsonb_set(details, '{n}', '999') where id = 12`);
    const broken = await run(process.execPath, ['--import', 'tsx', 'src/cli/audit.ts', 'verify'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: target.url },
    }).catch((e) => e);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('BROKEN after 11 good events: audit event 12 (request.approved on req_chain00011');
    expect(broken.stdout).toContain('was modified after it was written');
  });
});

describe('deleting, reordering and truncating are detected', () => {
  let target: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    target = await createTestDatabase();
    database = await openDatabase({ url: target.url });
    await seed(database, 10);
  });
  afterAll(async () => {
    await database.close();
    await target.drop();
  });

  it('a deleted event is named by the one after it', async () => {
    await tamper(target.url, 'delete from audit_events where id = 4');
    const report = await verifyAuditChain(database.db);
    expect(report.ok).toBe(false);
    expect(report.problem).toContain('audit event 5');
    expect(report.problem).toContain('deleted, inserted or reordered');
  });

  it('removing the newest events is caught against a logged chain head', async () => {
    const head = { id: 10, hash: (await auditAfter(database.db, 9, 1))[0]!.hash };
    await tamper(target.url, 'delete from audit_events where id >= 9');
    const report = await verifyAuditChain(database.db, head);
    expect(report.ok).toBe(false);
  });
});

describe('the audit trail on the embedded database', () => {
  it('verifies, refuses updates, and detects tampering', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'access-audit-'));
    const database = await openDatabase({ dataDir });
    try {
      await database.migrate();
      await seed(database, 5);
      expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, checked: 5 });
      const { sql } = await import('drizzle-orm');
      const refused = await database.db
        .execute(sql`update audit_events set actor = 'x' where id = 2`)
        .catch((e: Error) => e);
      expect(String((refused as Error & { cause?: unknown }).cause ?? refused)).toMatch(/append-only/);
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`update audit_events set actor = 'mallory' where id = 2`);
      });
      const report = await verifyAuditChain(database.db);
      expect(report).toMatchObject({ ok: false });
      expect(report.problem).toContain('audit event 2');
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
