import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { AppError } from '../../domain/errors.js';
import type { WebClient } from '@slack/web-api';
import type { RequestDetails } from '../../domain/request.js';
import { describeGrant } from '../../domain/policy.js';
import type { BreakGlassResult } from '../../services/break-glass-service.js';
import type { SlackDeps } from '../deps.js';
import { BreakGlassIds, FIELD } from '../ids.js';
import { code, slackDate, userText } from '../mrkdwn.js';
import { describeFailure } from '../reply.js';
import { stepUpPrompt } from '../identity/sign-in-prompt.js';
import { isRequestId, minutesValue, selectedValue, textValue, type StateValues } from '../state.js';
import { tellClicker } from '../tell.js';
import { fieldErrorsAnswer } from '../view-errors.js';
import { messageModal } from '../views.js';
import { buildBreakGlassModal } from './break-glass-modal.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export const BREAK_GLASS_USAGE =
  'Break glass with `/access break-glass <resource> <duration> <reason…>`, for example `/access break-glass prod-db 30m INC-123 checkout is down`.';
const NOT_DESIGNATED = 'No flow designates you for break-glass access. Request access as usual with `/access request`.';

/** What the person is told once the glass is broken. */
export function grantedText(r: RequestDetails): string {
  const what = r.grant
    ? r.grant.policy.resources.map((g) => userText(describeGrant(g), 200)).join('; ')
    : r.resources.map((x) => x.name).join(', ');
  return `:rotating_light: Break-glass access granted: ${what}, until ${r.grant ? slackDate(r.grant.expiresAt) : 'its end'} (${code(r.id)}). The approvers have been alerted and will review it.`;
}

/** Opens the form, or says why there is none. Returns the sentence to show when it cannot open. */
export async function openBreakGlassModal(
  deps: SlackDeps,
  client: WebClient,
  userId: string,
  triggerId: string,
): Promise<string | null> {
  const options = await deps.breakGlass.optionsFor(userId);
  if (options.length === 0) return NOT_DESIGNATED;
  await client.views.open({ trigger_id: triggerId, view: buildBreakGlassModal(options) });
  return null;
}

/** `/access break-glass <resource> <duration> <reason…>`: the sentence to answer with. */
export async function breakGlassCommand(
  deps: SlackDeps,
  userId: string,
  args: string[],
  triggerId: string,
): Promise<string> {
  const [resource, duration, ...reason] = args;
  if (!resource || !duration) return BREAK_GLASS_USAGE;
  const result = await deps.breakGlass.breakGlass({
    userId,
    resourceName: resource,
    duration,
    reason: reason.join(' '),
    // Slack issues a trigger id per command: the same command again is a replay, and grants nothing new.
    submissionKey: `command:${triggerId}`,
  });
  return result.ok ? grantedText(result.request) : result.problem;
}

const FIELD_BLOCKS: Record<Extract<BreakGlassResult, { ok: false }>['field'], string> = {
  resource: BreakGlassIds.resourceBlock,
  duration: BreakGlassIds.durationBlock,
  reason: BreakGlassIds.reasonBlock,
};

function submissionHandler(deps: SlackDeps) {
  return async ({ ack, body, view }: SubmitArgs) => {
    const values = view.state.values as StateValues;
    try {
      const result = await deps.breakGlass.breakGlass({
        userId: body.user.id,
        resourceName: selectedValue(values, BreakGlassIds.resourceBlock, FIELD) ?? '',
        duration: minutesValue(selectedValue(values, BreakGlassIds.durationBlock, FIELD)),
        reason: textValue(values, BreakGlassIds.reasonBlock, FIELD),
        submissionKey: view.id,
      });
      if (!result.ok)
        return void (await ack(fieldErrorsAnswer(view, { [FIELD_BLOCKS[result.field]]: result.problem })));
      await ack({ response_action: 'update', view: messageModal('Access granted', grantedText(result.request)) });
    } catch (error) {
      const text = describeFailure(deps.logger, error, { action: 'breakglass.submit', slack_user: body.user.id });
      // Step-up: the form gives way to a "Sign in" button; after signing in the person sends it again.
      const prompt = stepUpPrompt(deps, body.user.id, error);
      if (prompt)
        return void (await ack({
          response_action: 'update',
          view: {
            type: 'modal',
            title: { type: 'plain_text', text: 'Sign in first' },
            close: { type: 'plain_text', text: 'Close' },
            blocks: prompt.blocks,
          },
        }));
      await ack({ response_action: 'update', view: messageModal('No access', text) });
    }
  };
}

function openHandler(deps: SlackDeps) {
  return async ({ ack, body, client, respond }: ButtonArgs) => {
    await ack();
    try {
      const problem = await openBreakGlassModal(deps, client, body.user.id, body.trigger_id);
      if (problem) await tellClicker(body, client, respond, 'Break glass', problem);
    } catch (error) {
      await tellClicker(
        body,
        client,
        respond,
        'Break glass',
        describeFailure(deps.logger, error, { action: 'breakglass.open', slack_user: body.user.id }),
      );
    }
  };
}

/** "Acknowledge review": the service re-checks that the clicker approves the flow and is not the requester. */
function acknowledgeHandler(deps: SlackDeps) {
  return async ({ ack, body, action, client, respond }: ButtonArgs) => {
    await ack();
    try {
      if (!isRequestId(action.value)) throw new AppError('stale_reference', 'acknowledge button without a request id');
      const result = await deps.breakGlass.acknowledge(action.value, body.user.id);
      const text = result.ok
        ? `Recorded: you reviewed the break-glass access ${code(result.request.id)}.`
        : result.problem;
      await tellClicker(body, client, respond, 'Break-glass review', text);
    } catch (error) {
      const text = describeFailure(deps.logger, error, {
        action: 'breakglass.acknowledge',
        slack_user: body.user.id,
        request_id: action.value,
      });
      await tellClicker(body, client, respond, 'Break-glass review', text);
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.action<BlockAction<ButtonAction>>(BreakGlassIds.openButton, openHandler(deps));
  app.action<BlockAction<ButtonAction>>(BreakGlassIds.acknowledgeButton, acknowledgeHandler(deps));
  app.view(BreakGlassIds.callback, submissionHandler(deps));
}
