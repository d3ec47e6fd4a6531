import { wantsSandbox } from '../src/config.js';
import { failStart, onSignals, readAccessFile } from '../src/startup.js';
import { SandboxRefused } from './sandbox-guards.js';

/**
 * `npm start` in a clone: with Slack credentials, the bot (src/main.ts, what the image runs); without
 * them (or with `--sandbox`), the bot against a simulated workspace, driven from a web page. The
 * production image has no sandbox/ and runs dist/main.js directly.
 */
async function start() {
  if (!wantsSandbox(process.env, process.argv.slice(2))) {
    await import('../src/main.js');
    return;
  }
  // Imported here, not at the top: the simulated workspace, OIDC provider (jose) and cloud doubles are
  // megabytes a start with credentials never needs.
  const { startSandbox } = await import('./sandbox.js');
  const accessFileText = readAccessFile(process.env.ACCESS_CONFIG || undefined);
  const running = await startSandbox({ env: process.env, ...(accessFileText !== undefined ? { accessFileText } : {}) });
  onSignals(
    () => running.stop(),
    () => undefined,
  );
  const why = process.argv.includes('--sandbox') ? 'started with --sandbox' : 'no Slack credentials given';
  // Plain lines next to the JSON logs: the one thing a person starting it for the first time needs.
  process.stdout.write(
    `\nSandbox (${why}): the bot runs against a simulated Slack workspace.\nOpen ${running.url}\n` +
      'Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to run the real bot.\n\n',
  );
}

start().catch((error: unknown) => failStart(error, [SandboxRefused]));
