import { existsSync, readFileSync } from 'node:fs';
import { buildGroupSync } from '../composition/group-sync.js';
import { openDatabase } from '../db/client.js';
import { groupSourceFromFile, PROVIDER_NAMES, type GroupSourceKind } from '../domain/group-source.js';
import { builtInProvisioners, createProvisionerRegistry } from '../provisioners/registry.js';
import { createSecrets } from '../provisioners/secrets.js';
import { AccessFileError, checkGroupSources, parseAccessFile } from '../services/catalog-service.js';
import type { SourceSyncResult } from '../services/group-sync.js';
import type { GroupListers } from '../services/ports.js';
import { systemClock } from '../services/ports.js';

/**
 * `npm run config -- sync [FILE] [--source NAME]…`: runs the group sources of ACCESS_CONFIG (or FILE) now,
 * against the bot's database, and prints what changed. Grants of retired groups are ended here; their
 * removals and the Slack messages go out through the running bot's outbox. Exit code 0 when every source
 * synced (or another replica was syncing it), 1 when one failed, 2 for a usage mistake.
 */
export interface SyncCommandIo {
  args: string[];
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Tests give a lister that trusts a double's certificate. */
  listers?: Partial<Record<GroupSourceKind, GroupListers>>;
}

const USAGE = 'Usage: npm run config -- sync [FILE] [--source NAME]…\n';

export function describeResult(r: SourceSyncResult, kind: GroupSourceKind): string {
  const head = `${r.source} (${PROVIDER_NAMES[kind]})`;
  if (r.status === 'failed') return `${head}: FAILED. ${r.message}\n`;
  if (r.status === 'skipped') return `${head}: skipped, ${r.message}.\n`;
  const counts = [
    r.created.length && `${r.created.length} created`,
    r.updated.length && `${r.updated.length} updated`,
    r.retired.length && `${r.retired.length} retired`,
  ].filter(Boolean);
  const lines = [`${head}: ${counts.length ? counts.join(', ') : 'no change'}`];
  for (const name of r.created) lines.push(`  + ${name}`);
  for (const u of r.updated)
    lines.push(`  ~ ${u.name}: ${u.fields.join(', ') || 'brought back'}${u.note ? ` (${u.note})` : ''}`);
  for (const x of r.retired)
    lines.push(
      `  - ${x.name}: ${x.reason === 'gone' ? 'the group no longer exists' : "the group no longer matches the source's filter"}`,
    );
  if (r.grantsEnded + r.requestsCancelled > 0)
    lines.push(
      `  ${r.grantsEnded} grant(s) ended and ${r.requestsCancelled} pending request(s) cancelled; the people were told in Slack`,
    );
  for (const s of r.skipped) lines.push(`  ! group "${s.group}" not taken: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

export async function runConfigSync(io: SyncCommandIo): Promise<number> {
  const names: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < io.args.length; i++) {
    const arg = io.args[i]!;
    if (arg === '--source' && io.args[i + 1]) names.push(io.args[++i]!);
    else if (!arg.startsWith('-') && file === undefined) file = arg;
    else {
      io.err(USAGE);
      return 2;
    }
  }
  file ??= io.env.ACCESS_CONFIG || undefined;
  if (!file) {
    io.err(`No file: give one (npm run config -- sync FILE) or set ACCESS_CONFIG.\n${USAGE}`);
    return 2;
  }
  let sources;
  try {
    const parsed = checkGroupSources(
      parseAccessFile(readFileSync(file, 'utf8'), file),
      createProvisionerRegistry(builtInProvisioners()),
      file,
    );
    sources = parsed.group_sources.map(groupSourceFromFile);
  } catch (error) {
    if (error instanceof AccessFileError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`${error instanceof AccessFileError ? error.message : `Cannot read ${file}.`}\n`);
      return 1;
    }
    throw error;
  }
  if (sources.length === 0) {
    io.out(`${file} names no group_sources: nothing to sync.\n`);
    return 0;
  }
  const url = io.env.DATABASE_URL || undefined;
  const dataDir = io.env.DATA_DIR || './.data';
  if (!url && !existsSync(dataDir)) {
    io.err('The database has no access tables yet: start the bot once first.\n');
    return 1;
  }
  const database = await openDatabase(url ? { url } : { dataDir });
  try {
    const sync = buildGroupSync({
      db: database.db,
      clock: systemClock,
      secrets: createSecrets({
        env: io.env,
        dir: io.env.ACCESS_SECRETS_DIR || undefined,
        ownCredentials: [io.env.SLACK_BOT_TOKEN, io.env.SLACK_SIGNING_SECRET, io.env.SLACK_APP_TOKEN, url],
      }),
      sources,
      // The running bot's outbox polls for what this queued (removals, Slack messages).
      afterCommit: () => undefined,
      ...(io.listers ? { listers: io.listers } : {}),
    });
    let results: SourceSyncResult[];
    try {
      results = await sync.syncNow(names);
    } catch (error) {
      io.err(`${(error as Error).message}\n`);
      return 2;
    }
    for (const r of results) {
      const text = describeResult(r, sources.find((s) => s.name === r.source)!.kind);
      if (r.status === 'failed') io.err(text);
      else io.out(text);
    }
    return results.some((r) => r.status === 'failed') ? 1 : 0;
  } finally {
    await database.close();
  }
}
