import { existsSync, readFileSync } from 'node:fs';
import { openDatabase } from '../db/client.js';
import type { AccessFile } from '../domain/access-file.js';
import { bundlesFromFile, flowFromFile, resourceFromFile } from '../domain/access-file-mapping.js';
import { planCatalog, planView, type CatalogPlan } from '../domain/catalog-plan.js';
import { builtInProvisioners, createProvisionerRegistry } from '../provisioners/registry.js';
import {
  AccessFileError,
  checkGroupSources,
  checkProvisioners,
  parseAccessFile,
  planAccessFile,
} from '../services/catalog-service.js';
import { planText } from './plan-text.js';

/**
 * `npm run config -- plan [FILE] [--json] [--base FILE]`: what applying ACCESS_CONFIG (or FILE) would change
 * in the catalogue of the bot's database (DATABASE_URL, else the embedded one under DATA_DIR), computed by
 * the code the bot applies with (services/catalog-service.ts planAccessFile). Nothing is written. `--base`
 * plans against another file instead (a pull request's base branch), with no database at all.
 * Exit code 0: no changes; 2: changes; 1: an error (a file that does not validate, no database), as
 * `terraform plan -detailed-exitcode`.
 */
export interface PlanCommandIo {
  args: string[];
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
}

const USAGE = 'Usage: npm run config -- plan [FILE] [--json] [--base FILE]\n';

/** The file's own rows as a catalogue every row of which the file manages: what the base file would have applied. */
function catalogueOf(file: AccessFile) {
  return {
    resources: file.resources.map((r, i) => ({
      ...resourceFromFile(r),
      id: `base_res_${i}`,
      managedBy: 'file' as const,
    })),
    flows: file.flows.map((f, i) => ({ ...flowFromFile(f), id: `base_flw_${i}`, managedBy: 'file' as const })),
    bundles: bundlesFromFile(file).map((b, i) => ({ ...b, id: `base_bdl_${i}`, managedBy: 'file' as const })),
  };
}

/** PostgreSQL's undefined_table, wherever the driver or drizzle put it (drizzle wraps errors in `cause`). */
function isMissingTable(error: unknown): boolean {
  for (let e = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '42P01') return true;
  }
  return false;
}

function readChecked(path: string): AccessFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AccessFileError(`Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  // The checks `config -- check` and the bot's start make (secret references by their form only).
  const registry = createProvisionerRegistry(builtInProvisioners());
  return checkGroupSources(checkProvisioners(parseAccessFile(text, path), registry, path), registry, path);
}

export async function runConfigPlan(io: PlanCommandIo): Promise<number> {
  let file: string | undefined;
  let base: string | undefined;
  let json = false;
  for (let i = 0; i < io.args.length; i++) {
    const arg = io.args[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--base' && io.args[i + 1]) base = io.args[++i];
    else if (!arg.startsWith('-') && file === undefined) file = arg;
    else {
      io.err(USAGE);
      return 1;
    }
  }
  file ??= io.env.ACCESS_CONFIG || undefined;
  if (!file) {
    io.err(`No file: give one (npm run config -- plan FILE) or set ACCESS_CONFIG.\n${USAGE}`);
    return 1;
  }
  let wanted: AccessFile;
  let plan: CatalogPlan;
  let against: string;
  try {
    wanted = readChecked(file);
    if (base !== undefined) {
      plan = planCatalog(catalogueOf(readChecked(base)), wanted);
      against = base;
    } else {
      ({ plan, against } = await planAgainstDatabase(io.env, wanted));
    }
  } catch (error) {
    if (error instanceof AccessFileError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const view = planView(plan);
  if (json)
    io.out(`${JSON.stringify({ file, against, changes_pending: plan.changes.length > 0, ...view }, null, 2)}\n`);
  else io.out(planText(view, against));
  return plan.changes.length > 0 ? 2 : 0;
}

async function planAgainstDatabase(env: PlanCommandIo['env'], wanted: AccessFile) {
  const url = env.DATABASE_URL || undefined;
  const dataDir = env.DATA_DIR || './.data';
  const against = url ? 'PostgreSQL (DATABASE_URL)' : `the embedded database (${dataDir})`;
  const empty = { resources: [], flows: [] };
  // Opening the embedded database creates its directory: a plan must not leave an empty one behind.
  if (!url && !existsSync(dataDir))
    return { plan: planCatalog(empty, wanted), against: `${against}, which does not exist yet (empty)` };
  const database = await openDatabase(url ? { url } : { dataDir });
  try {
    return { plan: await planAccessFile(database.db, wanted), against };
  } catch (error) {
    if (!isMissingTable(error)) throw error;
    return { plan: planCatalog(empty, wanted), against: `${against}, which has no access tables yet (empty)` };
  } finally {
    await database.close();
  }
}
