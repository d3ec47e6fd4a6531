import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { listFlows, listResources } from '../db/catalog-queries.js';
import { listBundles } from '../db/bundle-queries.js';
import { openDatabase } from '../db/client.js';
import { builtInProvisioners, createProvisionerRegistry } from '../provisioners/registry.js';
import { AccessFileError, checkProvisioners, parseAccessFile } from '../services/catalog-service.js';
import { exportAccessFile } from '../services/config-export.js';
import { runConfigPlan } from './config-plan.js';
import { runConfigSync } from './config-sync.js';
import { runPolicyTestCommand } from './policy-test.js';

/**
 * `npm run config -- export [--out FILE]`: the catalogue (file- and App Home-managed alike) as ACCESS_CONFIG YAML.
 * `npm run config -- check FILE`: validates a file (and each resource's provisioner settings, as the bot
 * would at start) without touching any database or target.
 * `npm run config -- sync [FILE] [--source NAME]`: runs the file's group sources now (cli/config-sync.ts).
 * `npm run config -- test FILE [--config CONFIG]`: policy tests against a config file alone (cli/policy-test.ts).
 * `npm run config -- plan [FILE] [--json] [--base FILE]`: what applying the file would change (cli/config-plan.ts).
 * The database is the bot's: DATABASE_URL if set, else the embedded one under DATA_DIR (default ./.data).
 */
const USAGE =
  'Usage: npm run config -- export [--out FILE]\n       npm run config -- check FILE\n       npm run config -- sync [FILE] [--source NAME]…\n       npm run config -- plan [FILE] [--json] [--base FILE]\n       npm run config -- test FILE [--config ACCESS_CONFIG_FILE]\n';
const NO_TABLES = 'The database has no access tables yet: start the bot once first.\n';

function fail(message: string, code = 1): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(code);
}

/** PostgreSQL's undefined_table, wherever the driver or drizzle put it (drizzle wraps errors in `cause`). */
function isMissingTable(error: unknown): boolean {
  for (let e = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '42P01') return true;
  }
  return false;
}

async function exportCommand(args: string[]): Promise<void> {
  let out: string | undefined;
  if (args.length === 2 && args[0] === '--out' && args[1]) out = args[1];
  else if (args.length > 0) fail(USAGE, 2);
  const url = process.env.DATABASE_URL || undefined;
  const dataDir = process.env.DATA_DIR || './.data';
  // Opening the embedded database creates its directory: an export must not leave an empty one behind.
  if (!url && !existsSync(dataDir)) fail(NO_TABLES);
  const database = await openDatabase(url ? { url } : { dataDir });
  let text: string;
  try {
    const [resources, flows, bundles] = await Promise.all([
      listResources(database.db),
      listFlows(database.db),
      listBundles(database.db),
    ]);
    const where = database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `the embedded database (${dataDir})`;
    // Synced resources come from group_sources (which stay in the file): exported, a re-apply would take them over.
    const synced = resources.filter((r) => r.managedBy === 'sync').length;
    text = exportAccessFile(
      resources.filter((r) => r.managedBy !== 'sync'),
      flows,
      `Exported ${new Date().toISOString()} from ${where} by \`npm run config -- export\`.${synced ? `\n${synced} resources synced from group sources are left out: keep the group_sources section of your file.` : ''}`,
      bundles,
    );
  } catch (error) {
    if (isMissingTable(error)) {
      await database.close();
      fail(NO_TABLES);
    }
    throw error;
  }
  await database.close();
  if (out) {
    writeFileSync(out, text);
    process.stderr.write(`Wrote ${out}.\n`);
  } else {
    process.stdout.write(text);
  }
}

function checkCommand(args: string[]): void {
  const [file] = args;
  if (!file || args.length !== 1) fail(USAGE, 2);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    fail(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    // Each resource's provisioner settings too, as the bot checks them at start (secret references by
    // their form: the secrets themselves live where the bot runs).
    const parsed = checkProvisioners(
      parseAccessFile(text, file),
      createProvisionerRegistry(builtInProvisioners()),
      file,
    );
    process.stdout.write(
      `OK: ${parsed.resources.length} resources, ${parsed.flows.length} flows${parsed.group_sources.length ? `, ${parsed.group_sources.length} group sources` : ''}${parsed.bundles.length ? `, ${parsed.bundles.length} bundles` : ''}\n`,
    );
  } catch (error) {
    if (error instanceof AccessFileError) fail(error.message);
    throw error;
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'export') await exportCommand(rest);
else if (command === 'check') checkCommand(rest);
else if (command === 'plan')
  process.exitCode = await runConfigPlan({
    args: rest,
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
else if (command === 'sync')
  process.exitCode = await runConfigSync({
    args: rest,
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
else if (command === 'test')
  process.exitCode = runPolicyTestCommand({
    args: rest,
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
else fail(USAGE, 2);
