import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describeIssuePath } from '../domain/access-file.js';
import { PolicyTestFileSchema } from '../domain/policy-test-file.js';
import { catalogueFromFile, formatOutcomes, referenceProblems, runPolicyTests } from '../domain/policy-tests.js';
import { AccessFileError, parseAccessFile } from '../services/catalog-service.js';

/**
 * `npm run config -- test FILE [--config ACCESS_CONFIG_FILE]`: the policy tests of FILE against the config
 * file alone (no database, no Slack; docs/policy-tests.md). Exit 0: every test passed; 1: one failed (with
 * expected, actual and the flow or rule that makes it so); 2: the test file or the config cannot be used.
 */
export const POLICY_TEST_USAGE = 'Usage: npm run config -- test FILE [--config ACCESS_CONFIG_FILE]\n';
const MAX_ISSUES = 10;

export function runPolicyTestCommand(io: {
  args: string[];
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}): number {
  const { args, err } = io;
  const at = args.indexOf('--config');
  const configPath = at >= 0 ? args[at + 1] : io.env.ACCESS_CONFIG;
  const rest = at >= 0 ? args.filter((_, i) => i !== at && i !== at + 1) : args;
  if (rest.length !== 1 || !rest[0] || (at >= 0 && !args[at + 1])) {
    err(POLICY_TEST_USAGE);
    return 2;
  }
  const testPath = rest[0];
  if (!configPath) {
    err(`Say which config to test: --config FILE (or set ACCESS_CONFIG).\n${POLICY_TEST_USAGE}`);
    return 2;
  }
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      err(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
      return null;
    }
  };
  const [configText, testText] = [read(configPath), read(testPath)];
  if (configText === null || testText === null) return 2;
  let catalogue;
  try {
    catalogue = catalogueFromFile(parseAccessFile(configText, configPath));
  } catch (error) {
    if (!(error instanceof AccessFileError)) throw error;
    err(`${error.message}\n`);
    return 2;
  }
  let raw: unknown;
  try {
    raw = parseYaml(testText) ?? {};
  } catch (error) {
    err(`${testPath} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    return 2;
  }
  const parsed = PolicyTestFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, MAX_ISSUES);
    err(issues.map((i) => `${testPath}: ${describeIssuePath(i.path) || 'top level'}: ${i.message}\n`).join(''));
    return 2;
  }
  const problems = referenceProblems(parsed.data, catalogue);
  if (problems.length > 0) {
    err(problems.map((p) => `${testPath}: ${p.path}: ${p.message}\n`).join(''));
    return 2;
  }
  // Groups the flows name that the test file leaves out count as empty: say so, a test may rely on them.
  const named = new Set(
    catalogue.flows.flatMap((f) => [
      ...f.requesterGroups,
      ...f.approverGroups,
      ...f.lifecycle.escalationGroups,
      ...(f.lifecycle.breakGlass?.groups ?? []),
    ]),
  );
  const unlisted = [...named].filter((g) => !(g in parsed.data.groups)).sort();
  if (unlisted.length > 0)
    err(
      `Note: ${unlisted.join(', ')} ${unlisted.length === 1 ? 'is' : 'are'} not listed under groups: taken as empty.\n`,
    );
  const outcomes = runPolicyTests(parsed.data, catalogue);
  io.out(formatOutcomes(outcomes));
  return outcomes.every((o) => o.passed) ? 0 : 1;
}
