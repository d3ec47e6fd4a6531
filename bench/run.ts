import { writeFileSync } from 'node:fs';
import { benchAuthorization, describeAuthorization } from './authorization.js';
import { machine } from './support.js';

/**
 * `npm run bench`: runs every benchmark against a real PostgreSQL (BENCH_DATABASE_URL, default the local
 * server) and writes BENCHMARKS.md with the machine, the command and each figure beside its goal.
 */
const started = new Date();
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const authz = await benchAuthorization(seconds, Number(process.env.BENCH_CONNECTIONS ?? 16));
const lines = [
  '# Benchmarks',
  '',
  `Measured ${started.toISOString()} on ${machine()} with \`npm run bench\` (BENCH_SECONDS=${seconds}).`,
  'PostgreSQL: the local server. Each figure is from one run; rerun to compare.',
  '',
  '| What | Throughput | Latency | Goal |',
  '|---|---|---|---|',
  ...describeAuthorization(authz),
  '',
];
writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
