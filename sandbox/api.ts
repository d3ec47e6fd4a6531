import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Route } from '../src/http/server.js';
import type { DriverResponse, SlackDriver } from '../doubles/slack/driver.js';
import { inputProblems, type Picked } from '../doubles/slack/driver-values.js';
import { optionsOf, stateValuesOf } from '../doubles/slack/surface.js';
import { BadRequest, readJson, sendJson } from '../doubles/support/http-util.js';
import type { SandboxGroupSources } from './group-sources.js';
import { snapshot, type SnapshotSources } from './snapshot.js';

/** What the page's API works with; `jobs` is filled in once the bot exists. */
export interface SandboxContext extends SnapshotSources {
  driver: SlackDriver;
  logger: Logger;
  groupSources?: SandboxGroupSources;
  jobs?: {
    expireNow(): Promise<unknown>;
    lifecycleNow?(): Promise<unknown>;
    reviewsNow?(): Promise<unknown>;
    offboardNow?(): Promise<unknown>;
    drainOutbox(): Promise<void>;
  };
}

type Body = Record<string, unknown>;
type Where = { channel: string; ts: string } | { viewId: string };
interface InputValue {
  blockId: string;
  actionId: string;
  value: Picked;
}

const str = (body: Body, key: string): string => {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new BadRequest(`${key} is required`);
  return v;
};

function picked(v: unknown): Picked {
  if (v === null || typeof v === 'string') return v === '' ? null : v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length === 0 ? null : v;
  throw new BadRequest('a value must be a string, a list of strings or null');
}

function inputsOf(body: Body): InputValue[] {
  const list = body.inputs ?? [];
  if (!Array.isArray(list)) throw new BadRequest('inputs must be a list');
  return list.map((x: Body) => ({ blockId: str(x, 'blockId'), actionId: str(x, 'actionId'), value: picked(x.value) }));
}

function whereOf(body: Body): Where {
  const s = body.surface as Body | undefined;
  if (s && typeof s.viewId === 'string') return { viewId: s.viewId };
  if (s && typeof s.channel === 'string' && typeof s.ts === 'string') return { channel: s.channel, ts: s.ts };
  throw new BadRequest('surface must be {viewId} or {channel, ts}');
}

/** What Slack would tell the person when the bot's answer was late or refused: shown on the page. */
function notice(res: DriverResponse): string | undefined {
  if (res.timedOut) return `The bot took ${res.elapsedMs} ms to answer; Slack gives up after 3 s and shows an error.`;
  if (res.status !== 0 && res.status !== 200) return `The bot answered HTTP ${res.status}; Slack would show an error.`;
  if (res.slackError)
    return `Slack refused the bot's answer: ${res.slackError}${res.slackMessages?.length ? ` (${res.slackMessages.join('; ')})` : ''}`;
  return undefined;
}

export function sandboxApiRoutes(ctx: SandboxContext): Route[] {
  const { slack, driver } = ctx;

  const person = (body: Body) => {
    const id = str(body, 'user');
    const u = slack.state.users.get(id);
    if (!u || u.isBot) throw new BadRequest(`no person ${id} in the sandbox workspace`);
    return id;
  };

  /** What the person typed or picked, in order; Slack sends block_actions where the element dispatches. */
  const applyInputs = async (user: string, viewId: string, inputs: InputValue[]) => {
    let last: DriverResponse | undefined;
    for (const i of inputs) {
      const res = await driver.selectAction(user, { viewId }, i.actionId, i.value, { blockId: i.blockId });
      if (res.dispatched !== false) last = res;
    }
    return last;
  };

  const groups = () => {
    if (!ctx.groupSources) throw new BadRequest('the bot is still starting');
    return ctx.groupSources;
  };

  const settle = async () => {
    await ctx.jobs?.drainOutbox();
    await ctx.jobs?.drainOutbox();
  };

  const post = (path: string, run: (body: Body) => Promise<Record<string, unknown>>): Route => ({
    method: 'POST',
    path: `/sandbox/api/${path}`,
    handler: (req, res) =>
      guarded(res, ctx.logger, async () => sendJson(res, 200, { ok: true, ...(await run(await readJson(req))) })),
  });

  return [
    {
      method: 'GET',
      path: '/sandbox/api/state',
      // Without ?user= the page starts as the first sample person (the requester).
      handler: (_req, res, url) =>
        guarded(res, ctx.logger, async () =>
          sendJson(res, 200, await snapshot(ctx, person({ user: url.searchParams.get('user') || ctx.people[0]?.id }))),
        ),
    },
    post('command', async (body) => {
      const user = person(body);
      const [command = '', ...rest] = str(body, 'text').trim().split(/\s+/);
      if (command !== '/access') {
        // The bot listens to its slash command only; Slack says the same about unknown commands.
        return {
          notice: command.startsWith('/')
            ? `${command} is not a valid command. Try /access help.`
            : 'The bot answers /access commands only. Try /access help.',
        };
      }
      const channel = typeof body.channel === 'string' ? body.channel : slack.dmChannelOf(user);
      return { notice: notice(await driver.command(user, '/access', rest.join(' '), { channelId: channel })) };
    }),
    post('action', async (body) => {
      const user = person(body);
      const where = whereOf(body);
      const blockId = str(body, 'blockId');
      const actionId = str(body, 'actionId');
      if ('viewId' in where) await applyInputs(user, where.viewId, inputsOf(body));
      const res =
        body.kind === 'button'
          ? await driver.clickButton(user, where, actionId, { blockId })
          : await driver.selectAction(user, where, actionId, picked(body.value), { blockId });
      return { notice: notice(res) };
    }),
    post('input', async (body) => {
      const res = await applyInputs(person(body), str(body, 'viewId'), inputsOf(body));
      return { notice: res ? notice(res) : undefined };
    }),
    post('submit', async (body) => {
      const user = person(body);
      const viewId = str(body, 'viewId');
      await applyInputs(user, viewId, inputsOf(body));
      const view = slack.view(viewId);
      if (!view) throw new BadRequest(`view ${viewId} does not exist`);
      // Slack's client checks these itself and never sends the submission.
      const problems = inputProblems(view.blocks, stateValuesOf(view.blocks, slack.surfaceValues(`view:${viewId}`)));
      if (problems.length > 0) {
        ctx.viewErrors.set(viewId, Object.fromEntries(problems.map((p) => [p.blockId, `This field ${p.message}.`])));
        return {};
      }
      const res = await driver.submitView(user, viewId, {});
      if (res.json?.response_action === 'errors' && !res.slackError)
        ctx.viewErrors.set(viewId, res.json.errors as Record<string, string>);
      else ctx.viewErrors.delete(viewId);
      return { notice: notice(res) };
    }),
    post('close', async (body) => {
      const user = person(body);
      const viewId = str(body, 'viewId');
      ctx.viewErrors.delete(viewId);
      return { notice: notice(await driver.closeView(user, viewId)) };
    }),
    post('suggest', async (body) => {
      const query = typeof body.query === 'string' ? body.query : '';
      const res = await driver.suggest(
        person(body),
        str(body, 'viewId'),
        str(body, 'actionId'),
        query,
        typeof body.blockId === 'string' ? { blockId: body.blockId } : {},
      );
      return { options: res.json ? optionsOf(res.json) : [], notice: notice(res) };
    }),
    post('home', async (body) => ({ notice: notice(await driver.appHomeOpened(person(body))) })),
    post('clock', async (body) => {
      const minutes = Number(body.minutes);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10080)
        throw new BadRequest('minutes must be a whole number from 1 to 10080');
      ctx.clock.advance(minutes);
      // Run the expiry and lifecycle jobs at once rather than at their next tick, so the effect shows now
      // (reminders, time-outs, end warnings and scheduled starts included; access reviews due and their reminders).
      await ctx.jobs?.expireNow();
      await ctx.jobs?.lifecycleNow?.();
      await ctx.jobs?.reviewsNow?.();
      await settle();
      return { offsetMinutes: ctx.clock.offsetMinutes };
    }),
    post('deactivate', async (body) => {
      // What a Slack admin does: the account is deactivated and Slack sends user_change with deleted: true.
      const user = person(body);
      slack.deactivateUser(user);
      const res = await driver.userChange(user);
      // The listener runs after Slack's ack; the periodic check does the same work now, so the page shows it.
      await ctx.jobs?.offboardNow?.();
      await settle();
      return { notice: notice(res) };
    }),
    post('on-call', async (body) => {
      if (!ctx.onCall) throw new BadRequest('this sandbox has no on-call schedule');
      ctx.onCall.set(person(body), body.on === true);
      return { onCall: ctx.onCall.view() };
    }),
    // What an identity admin does in Okta or Entra ID, then the sync on demand (`npm run config -- sync`).
    post('group-sources/add', async (body) => ({ group: await groups().add(str(body, 'source')) })),
    post('group-sources/delete', async (body) => {
      await groups().remove(str(body, 'source'), str(body, 'groupId'));
      return {};
    }),
    post('group-sources/sync', async () => {
      const results = await groups().sync();
      // A retired group's grants end in the same transaction; their removal and the requester's DM go now.
      await settle();
      const failed = results.filter((r) => r.status !== 'synced').map((r) => r.message ?? `${r.source}: ${r.status}`);
      return { results, ...(failed.length > 0 ? { notice: failed.join(' ') } : {}) };
    }),
    post('expire', async () => {
      await ctx.jobs?.expireNow();
      await settle();
      return {};
    }),
  ];
}

/** A wrong request gets its reason; the driver's "a person could not do that" errors too. */
async function guarded(res: ServerResponse, logger: Logger, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    const error = e as Error;
    if (!(error instanceof BadRequest)) logger.info({ err: error }, 'sandbox action refused');
    sendJson(res, error instanceof BadRequest ? 400 : 409, { ok: false, error: error.message });
  }
}
