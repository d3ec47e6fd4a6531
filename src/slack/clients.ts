import { App, HTTPReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { boltLogger } from '../logger.js';
import { countedFetch, type SlackCallListener } from './counted-fetch.js';

/**
 * The Bolt app and the bot's other Web API clients, built from the config. One WebClient per kind of
 * work: WebClient pauses its whole queue on a 429 for the Retry-After, so background posts (outbox
 * chat.update/postMessage retries) must not share a queue with the lookups a person's modal waits on
 * (the trigger_id lasts 3 s). Bolt's listeners get their own client for views.open/push/update; the
 * directory has its own; the outbox and lifecycle jobs theirs.
 */
export function createSlackClients(
  config: Config,
  logger: Logger,
  onCall: SlackCallListener,
  botIdentity?: { botId: string; botUserId: string },
  ackTimeoutMs?: number,
) {
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  // In HTTP mode Bolt's receiver only handles /slack/events, inside our own server (see http/server.ts).
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET,
        logger: boltLogger(logger),
        ...(ackTimeoutMs !== undefined ? { unhandledRequestTimeoutMillis: ackTimeoutMs } : {}),
      });
  // Every WebClient Bolt makes (and its respond()) takes `fetch` from here: the one place to count Slack calls.
  const fetch = countedFetch(onCall);
  const apiUrl = config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {};
  // Outbox items are retried by our worker with backoff; WebClient's default (10 retries over 30 min)
  // would stall the worker. 429 Retry-After is still honoured by WebClient itself.
  const clientOptions = { ...apiUrl, retryConfig: { retries: 1, minTimeout: 200, maxTimeout: 1000 }, fetch };
  const app = new App({
    token: config.SLACK_BOT_TOKEN,
    // Socket Mode's own client (apps.connections.open) takes its options from installerOptions.
    ...(socketMode
      ? {
          socketMode: true,
          appToken: config.SLACK_APP_TOKEN,
          installerOptions: { clientOptions: { ...apiUrl, fetch } },
        }
      : { receiver }),
    ...(botIdentity ?? {}),
    deferInitialization: true,
    // No conversation state is used; Bolt's default store costs every event a rejected lookup.
    convoStore: false,
    logger: boltLogger(logger),
    clientOptions,
  });
  return {
    app,
    receiver,
    socketMode,
    directoryClient: new WebClient(config.SLACK_BOT_TOKEN, clientOptions),
    background: new WebClient(config.SLACK_BOT_TOKEN, clientOptions),
  };
}
