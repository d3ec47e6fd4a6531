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
import type { SlackDeps } from '../deps.js';
import { publishHome } from '../home/listeners.js';
import { RequestIds } from '../ids.js';
import { code } from '../mrkdwn.js';
import { describeFailure, failureModalAnswer } from '../reply.js';
import { isRequestId, minutesValue, parseRequestRef, selectedValue, textValue, type StateValues } from '../state.js';
import { tellClicker } from '../tell.js';
import { messageModal } from '../views.js';
import { fieldErrorsAnswer } from '../view-errors.js';
import { buildExtendModal } from './extend-modal.js';

type Click = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * The requester's own buttons: Cancel and Nudge on a pending request, Extend… and Release on an active
 * one (in their DM and App Home). The services re-check that the clicker is the requester.
 */
function myRequestHandler(deps: SlackDeps, verb: 'cancel' | 'nudge' | 'release' | 'extend') {
  return async ({ ack, body, action, client, respond }: Click) => {
    await ack();
    const userId = body.user.id;
    try {
      if (!isRequestId(action.value)) throw new AppError('stale_reference', `${verb} button without a request id`);
      const id = action.value;
      let text: string;
      if (verb === 'cancel') {
        await deps.actions.cancel(id, userId);
        text = `Cancelled ${code(id)}. The approvers' messages say so.`;
      } else if (verb === 'nudge') {
        await deps.actions.nudge(id, userId);
        text = `Reminded the approvers of ${code(id)} in their messages' threads.`;
      } else if (verb === 'release') {
        await deps.grants.revoke(id, userId);
        text = `Released ${code(id)}: your access has ended.`;
      } else {
        const extension = await deps.extensions.extensionForm(id, userId);
        const view = buildExtendModal(extension.request, extension.durations);
        if (body.view?.type === 'modal') await client.views.push({ trigger_id: body.trigger_id, view });
        else await client.views.open({ trigger_id: body.trigger_id, view });
        return;
      }
      await tellClicker(body, client, respond, 'Your request', text);
      if (body.view?.type === 'home') await publishHome(deps, client, userId).catch(() => undefined);
    } catch (error) {
      await tellClicker(
        body,
        client,
        respond,
        'Your request',
        describeFailure(deps.logger, error, {
          action: `request.${verb}`,
          slack_user: userId,
          request_id: action.value,
        }),
      );
    }
  };
}

function extendSubmission(deps: SlackDeps) {
  return async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
    const userId = body.user.id;
    const requestId = parseRequestRef(view.private_metadata);
    try {
      if (!requestId) throw new AppError('stale_reference', 'extend modal without a request id');
      const values = view.state.values as StateValues;
      const result = await deps.extensions.requestExtension(requestId, userId, {
        durationMinutes: minutesValue(
          selectedValue(values, RequestIds.extendDurationBlock, RequestIds.extendDurationAction),
        ),
        justification: textValue(values, RequestIds.extendReasonBlock, RequestIds.extendReasonAction),
        // The same form sent again (a replay, on any replica) returns the extension it already made.
        submissionKey: view.id,
      });
      if (!result.ok) {
        const errors: Record<string, string> = {};
        if (result.errors.duration) errors[RequestIds.extendDurationBlock] = result.errors.duration;
        if (result.errors.justification) errors[RequestIds.extendReasonBlock] = result.errors.justification;
        return void (await ack(fieldErrorsAnswer(view, errors)));
      }
      await ack({
        response_action: 'update',
        view: messageModal(
          'Extension asked',
          `Asked to extend ${code(requestId)} (${code(result.request.id)}). Your access continues; I will DM you when the approvers decide.`,
        ),
      });
    } catch (error) {
      await ack(
        failureModalAnswer(deps.logger, 'Not sent', error, {
          action: 'request.extend.submit',
          slack_user: userId,
          request_id: requestId,
        }),
      );
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.action<BlockAction<ButtonAction>>(RequestIds.cancelButton, myRequestHandler(deps, 'cancel'));
  app.action<BlockAction<ButtonAction>>(RequestIds.nudgeButton, myRequestHandler(deps, 'nudge'));
  app.action<BlockAction<ButtonAction>>(RequestIds.releaseButton, myRequestHandler(deps, 'release'));
  app.action<BlockAction<ButtonAction>>(RequestIds.extendButton, myRequestHandler(deps, 'extend'));
  app.view(RequestIds.extendCallback, extendSubmission(deps));
}
