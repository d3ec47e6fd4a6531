import { until } from '../../doubles/slack/driver.js';
import { blockActionsPayload, commandFields, nowTs, viewSubmissionPayload } from '../../doubles/slack/payloads.js';
import { stateValuesOf } from '../../doubles/slack/surface.js';
import type { Harness } from './harness.js';

export const allText = (value: unknown) => JSON.stringify(value);

/** `/access request [text]` then submit the modal with these picks; returns the new request ids. */
export async function requestAccess(
  h: Harness,
  user: string,
  picks: { resources: string[]; duration: string; justification: string },
  text = 'request',
): Promise<string[]> {
  h.slack.clearViews(user);
  const before = new Set((await h.sql`select id from access_requests`).map((r) => r.id as string));
  await h.driver.command(user, '/access', text);
  const modal = await until(() => h.slack.topView(user), 'the request modal');
  const res = await h.driver.submitView(user, modal.id, {
    'request.resources': picks.resources,
    'request.duration': picks.duration,
    'request.justification': picks.justification,
  });
  if (res.json?.response_action === 'errors') throw new Error(`request refused: ${JSON.stringify(res.json.errors)}`);
  // Said here rather than as "no message about undefined" further on.
  if (res.status !== 200 || res.slackError)
    throw new Error(`the request form was answered ${res.status} ${res.slackError ?? ''}`);
  if (allText(res.json?.view).includes('Request not sent'))
    throw new Error(`request not sent: ${allText(res.json.view)}`);
  h.slack.clearViews(user);
  const after = (await h.sql`select id from access_requests order by created_at, id`).map((r) => r.id as string);
  await h.settle();
  return after.filter((id) => !before.has(id));
}

/** The approver's DM about a request (the message with its buttons). */
export function approverMessage(h: Harness, approver: string, requestId: string) {
  const dm = h.slack.dmsTo(approver).find((m) => JSON.stringify(m.blocks).includes(requestId));
  if (!dm) throw new Error(`${approver} has no message about ${requestId}`);
  return { channel: dm.channel, ts: dm.ts, message: dm };
}

/** Clicks Approve in the approver's DM and submits the tuning modal with `values` (defaults: as asked). */
export async function approve(
  h: Harness,
  approver: string,
  requestId: string,
  values: Record<string, string | string[] | null> = {},
) {
  const where = approverMessage(h, approver, requestId);
  await h.driver.clickButton(approver, where, 'review.approve');
  const modal = await until(() => h.slack.topView(approver), 'the tuning modal');
  const res = await h.driver.submitView(approver, modal.id, values);
  h.slack.clearViews(approver);
  await h.settle();
  return res;
}

export async function statusOf(h: Harness, requestId: string): Promise<string> {
  const [row] = await h.sql`select status from access_requests where id = ${requestId}`;
  return row?.status as string;
}

export async function countRows(h: Harness, table: 'access_requests' | 'grants' | 'audit_events'): Promise<number> {
  const [row] = await h.sql`select count(*)::int as n from ${h.sql(table)}`;
  return row!.n as number;
}

/**
 * A click that the person could not have made in Slack (the message is in someone else's DM), sent
 * as a correctly signed block_actions payload: what an attacker with a copied payload could send.
 */
export async function forgeClick(
  h: Harness,
  userId: string,
  where: { channel: string; ts: string },
  actionId: string,
  value: string,
) {
  const message = h.slack.message(where.channel, where.ts)!;
  const payload = blockActionsPayload(h.slack, {
    userId,
    apiAppId: h.slack.appId,
    surface: { kind: 'message', message, values: {} },
    action: {
      type: 'button',
      action_id: actionId,
      block_id: 'review.actions',
      value,
      text: { type: 'plain_text', text: 'x' },
      action_ts: nowTs(),
    },
    triggerId: h.slack.issueTriggerId(userId),
    responseUrl: h.slack.newResponseUrl({ channel: where.channel, userId, messageTs: where.ts }),
  });
  return h.driver.raw(`payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
}

/** Runs `act` and waits for the ephemeral reply it causes (a new post to a response_url). */
export async function replyTo(
  h: Harness,
  act: () => Promise<unknown>,
): Promise<{ text: string; blocks?: unknown[]; response_type?: string; replace_original?: boolean }> {
  const before = h.slack.responses().length;
  await act();
  const reply = await until(() => h.slack.responses()[before], 'a reply');
  return reply.body;
}

/** A view_submission for a modal as it was opened (its initial values), sent without the driver's checks. */
export async function submitRaw(h: Harness, userId: string, viewId: string) {
  const view = h.slack.view(viewId)!;
  const payload = viewSubmissionPayload(h.slack, {
    userId,
    apiAppId: h.slack.appId,
    view,
    values: stateValuesOf(view.blocks, {}),
    triggerId: h.slack.issueTriggerId(userId),
  });
  return h.driver.raw(`payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
}

/** A signed block_actions payload for an element in a view (App Home or a modal) the person may not see. */
export async function forgeViewAction(h: Harness, userId: string, viewId: string, action: Record<string, unknown>) {
  const view = h.slack.view(viewId)!;
  const payload = blockActionsPayload(h.slack, {
    userId,
    apiAppId: h.slack.appId,
    surface: { kind: 'view', view, values: {} },
    action: { block_id: 'forged', action_ts: nowTs(), ...action },
    triggerId: h.slack.issueTriggerId(userId),
  });
  return h.driver.raw(`payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
}

/** Submits someone else's open modal as `userId` (a replayed payload with another user in it). */
export async function submitAs(
  h: Harness,
  userId: string,
  viewId: string,
  values: Record<string, string | string[] | null>,
) {
  const stored = h.slack.state.views.get(viewId)!;
  stored.userId = userId;
  h.slack.state.stacks.set(userId, [viewId]);
  return h.driver.submitView(userId, viewId, values);
}

/** Makes every waiting outbox item due now, instead of waiting out its backoff, and waits for the work. */
export async function retryNow(h: Harness): Promise<void> {
  await h.sql`update outbox set available_at = now() where done_at is null`;
  await h.settle();
}

/** `/access revoke <id>` by `approver`, then waits for the removal. */
export async function revoke(h: Harness, approver: string, requestId: string): Promise<void> {
  await replyTo(h, () => h.driver.command(approver, '/access', `revoke ${requestId}`));
  await h.settle();
}

/** The (first) grant target of a request: its status, the state the provisioner kept, its last error. */
export async function targetOf(
  h: Harness,
  requestId: string,
): Promise<{ status: string; state: Record<string, unknown>; last_error: string | null }> {
  const [row] =
    await h.sql`select t.status, t.state, t.last_error from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${requestId} order by t.resource_name`;
  return row as { status: string; state: Record<string, unknown>; last_error: string | null };
}

/** The requester's own DM about a request (the message with their Cancel / Extend / Release buttons). */
export function myMessage(h: Harness, requesterId: string, requestId: string) {
  const m = h.slack
    .dmsTo(requesterId)
    .find((x) => allText(x.blocks).includes(requestId) && allText(x.blocks).includes('You '));
  if (!m) throw new Error(`${requesterId} has no message of their own about ${requestId}`);
  return { channel: m.channel, ts: m.ts, message: m };
}

/** `/access <text>` as the form-encoded body Slack would sign (for tests that send it themselves). */
export function commandBody(h: Harness, userId: string, text: string): string {
  return new URLSearchParams(
    commandFields(h.slack, {
      userId,
      command: '/access',
      text,
      channelId: 'C0GENERAL',
      apiAppId: h.slack.appId,
      responseUrl: h.slack.newResponseUrl({ channel: 'C0GENERAL', userId }),
      triggerId: h.slack.issueTriggerId(userId),
    }),
  ).toString();
}

/** A view_submission of `view` with these state values, as the form-encoded body Slack would sign. */
export function submissionBody(
  h: Harness,
  userId: string,
  view: Parameters<typeof viewSubmissionPayload>[1]['view'],
  values: Parameters<typeof viewSubmissionPayload>[1]['values'],
): string {
  const payload = viewSubmissionPayload(h.slack, {
    userId,
    apiAppId: h.slack.appId,
    view,
    values,
    triggerId: h.slack.issueTriggerId(userId),
  });
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** An admin opens App Home, its Flows tab, and presses Add flow: the flow editor, as the admin sees it. */
export async function openNewFlowEditor(h: Harness, admin: string) {
  await h.driver.appHomeOpened(admin);
  await until(() => h.slack.home(admin), 'home');
  await h.driver.clickButton(admin, { viewId: h.slack.home(admin)!.id }, 'home.tab.flows');
  await until(() => allText(h.slack.home(admin)!.view.blocks).includes('admin.flow.add'), 'flows tab');
  await h.driver.clickButton(admin, { viewId: h.slack.home(admin)!.id }, 'admin.flow.add');
  return until(() => h.slack.topView(admin), 'flow modal');
}
