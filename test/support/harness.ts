import { Writable } from 'node:stream';
import postgres from 'postgres';
import { createAccessApp, type AccessApp, type AccessAppOptions } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { FakeSlack, type FakeSlackOptions } from '../../doubles/slack/fake-slack.js';
import { SlackDriver } from '../../doubles/slack/driver.js';
import { TestClock } from './clock.js';
import { SocketModeServer } from './socket-mode.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { ACCESS_FILE, PEOPLE } from './workspace.js';
import { HANG_GUARD_MS } from '../../doubles/support/until.js';
import { BOT_TOKEN, startWorkspaceSlack } from './workspace-slack.js';

export { BOT_TOKEN } from './workspace-slack.js';
export const SIGNING_SECRET = 'test-signing-secret-0123456789';

export interface Harness {
  slack: FakeSlack;
  /** Slack's Socket Mode side, when the harness runs in Socket Mode. */
  socket: SocketModeServer | null;
  driver: SlackDriver;
  app: AccessApp;
  clock: TestClock;
  db: TestDatabase;
  sql: postgres.Sql;
  port: number;
  /** Every log line the bot wrote (debug level), to check what reaches the logs. */
  logs: string[];
  /** Lets queued Slack messages go out (the outbox worker) and waits for it. */
  settle(): Promise<void>;
  /** Stops the bot (not Slack, not the database) and starts a new one on the same database. */
  restart(): Promise<void>;
  /** Starts another bot instance on the same database and Slack: a second replica. */
  replica(): Promise<AccessApp>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  accessFile?: string;
  env?: Record<string, string>;
  /** Passed to every bot instance this harness starts (provisioners, secret references…). */
  app?: Pick<
    AccessAppOptions,
    'secretEnv' | 'extraProvisioners' | 'groupListers' | 'accessFilePath' | 'entraManagerOptions'
  >;
  /** Run the bot in Socket Mode (SLACK_APP_TOKEN): the driver's requests travel as WebSocket envelopes. */
  socketMode?: boolean;
  /** The Slack workspace's plan (the double's default: a paid one with user groups). */
  slackPlan?: FakeSlackOptions['plan'];
  /** Changes to the workspace before the bot starts (which reads groups at once, e.g. to open due access reviews). */
  workspace?: (slack: FakeSlack) => void;
}

export const APP_TOKEN = 'xapp-1-A0ACCESS-1111-testapptokensecret';

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const slack = await startWorkspaceSlack(options.slackPlan ? { plan: options.slackPlan } : {});
  options.workspace?.(slack);
  const socket = options.socketMode ? await SocketModeServer.start(slack, APP_TOKEN) : null;
  const clock = new TestClock();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = parseConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: db.url,
    PORT: '0',
    HOST: '127.0.0.1',
    ACCESS_ADMINS: PEOPLE.admin,
    LOG_LEVEL: 'debug',
    // The tests run the expiry job by hand after moving the clock.
    EXPIRY_INTERVAL_SECONDS: '3600',
    // Likewise the lifecycle job (reminders, pending TTL, end warnings, scheduled starts): jobs.lifecycleNow().
    LIFECYCLE_INTERVAL_SECONDS: '3600',
    // Slack's real pace (50 updates a minute) would make a test wait seconds per decision; the double
    // does not rate-limit unless a test asks it to (FakeSlack.rateLimit), and those 429s are handled.
    SLACK_UPDATES_PER_MINUTE: '6000',
    SLACK_HOME_PUBLISHES_PER_MINUTE: '6000',
    ...(socket ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
    ...options.env,
  });
  const boot = async () => {
    const app = await createAccessApp({
      config,
      logger: createLogger('debug', sink),
      clock,
      accessFileText: options.accessFile ?? ACCESS_FILE,
      // Bolt's own 3 s wait for an ack, a hang guard like the double's deadlines (SLACK_DEADLINES_AS_HANG_GUARDS).
      ackTimeoutMs: HANG_GUARD_MS,
      ...options.app,
    });
    const { port } = await app.start();
    return { app, port };
  };
  let { app, port } = await boot();
  const replicas: AccessApp[] = [];
  const sql = postgres(db.url, { onnotice: () => {}, max: 2 });
  const driverFor = (p: number) =>
    new SlackDriver({
      eventsUrl: `http://127.0.0.1:${p}/slack/events`,
      signingSecret: SIGNING_SECRET,
      slack,
      ...(socket ? { transport: socket.transport } : {}),
    });
  const harness: Harness = {
    slack,
    socket,
    driver: driverFor(port),
    app,
    clock,
    db,
    sql,
    port,
    logs,
    settle: async () => {
      // Twice: a delivery can queue nothing new today, but a crash-retry or a refresh may follow a post.
      await harness.app.jobs.drainOutbox();
      await harness.app.jobs.drainOutbox();
    },
    restart: async () => {
      await harness.app.stop();
      ({ app, port } = await boot());
      harness.app = app;
      harness.port = port;
      harness.driver = driverFor(port);
    },
    replica: async () => {
      const extra = await boot();
      replicas.push(extra.app);
      return extra.app;
    },
    stop: async () => {
      for (const r of replicas) await r.stop();
      await harness.app.stop();
      await sql.end();
      await socket?.stop();
      await slack.stop();
      await db.drop();
    },
  };
  return harness;
}
