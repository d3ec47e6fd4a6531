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
import { ReviewIds } from '../ids.js';
import { code } from '../mrkdwn.js';
import { describeFailure } from '../reply.js';
import { isRequestId, parseRequestRef, parseStageRef, textValue, type StateValues } from '../state.js';
import { tellClicker } from '../tell.js';
import { fieldErrorsAnswer } from '../view-errors.js';
import { messageModal } from '../views.js';
import { readTuning } from './read-tuning.js';
import { showPrompt, stepUpPrompt } from '../identity/sign-in-prompt.js';
import { buildDenyModal, buildTuningModal } from './tuning-modal.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Approve / Deny buttons: check the clicker may decide, then open the modal. Nothing is written yet. */
export function reviewButtonHandler(deps: SlackDeps, kind: 'approve' | 'deny') {
  return async ({ ack, body, action, client, respond }: ButtonArgs) => {
    await ack();
    const userId = body.user.id;
    try {
      if (!isRequestId(action.value)) throw new AppError('stale_reference', 'review button without a request id');
      const review = await deps.reviews.startReview(action.value, userId, kind);
      const view =
        kind === 'approve' ? buildTuningModal(review.request, review.defaults) : buildDenyModal(review.request);
      if (body.view?.type === 'modal') await client.views.push({ trigger_id: body.trigger_id, view });
      else await client.views.open({ trigger_id: body.trigger_id, view });
    } catch (error) {
      const text = describeFailure(deps.logger, error, {
        action: `review.${kind}`,
        slack_user: userId,
        request_id: action.value,
      });
      // Step-up: the approver gets a "Sign in to approve" button instead of the modal.
      const prompt = stepUpPrompt(deps, userId, error);
      if (prompt) return showPrompt(body, client, respond, prompt);
      await tellClicker(body, client, respond, 'Access request', text);
    }
  };
}

export function revokeButtonHandler(deps: SlackDeps) {
  return async ({ ack, body, action, client, respond }: ButtonArgs) => {
    await ack();
    try {
      if (!isRequestId(action.value)) throw new AppError('stale_reference', 'revoke button without a request id');
      const request = await deps.grants.revoke(action.value, body.user.id);
      await tellClicker(body, client, respond, 'Access revoked', `Revoked ${code(request.id)}: the access has ended.`);
    } catch (error) {
      const text = describeFailure(deps.logger, error, {
        action: 'review.revoke',
        slack_user: body.user.id,
        request_id: action.value,
      });
      await tellClicker(body, client, respond, 'Access request', text);
    }
  };
}

type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export function tuningSubmissionHandler(deps: SlackDeps) {
  return async ({ ack, body, view }: SubmitArgs) => {
    const userId = body.user.id;
    const requestId = parseRequestRef(view.private_metadata);
    try {
      if (!requestId) throw new AppError('stale_reference', 'tuning modal without a request id');
      const request = await deps.requests.get(requestId);
      if (!request) throw new AppError('not_found', `tuning modal for unknown request ${requestId}`);
      const tuning = readTuning(request, view.state.values as StateValues);
      if (request.kind === 'extension') {
        // The extension keeps the original grant's limits; only its duration is tuned here.
        const original = request.extendsRequestId ? await deps.requests.get(request.extendsRequestId) : undefined;
        tuning.grants = original?.grant?.policy.resources ?? [];
      }
      if (Object.keys(tuning.errors).length > 0) {
        await ack(fieldErrorsAnswer(view, tuning.errors));
        return;
      }
      const result = await deps.reviews.approve(
        {
          requestId,
          approverId: userId,
          durationMinutes: tuning.durationMinutes,
          grants: tuning.grants,
          seenStage: parseStageRef(view.private_metadata),
        },
        request,
      );
      if (!result.ok) {
        const errors: Record<string, string> = {};
        if (result.errors.duration) errors[ReviewIds.durationBlock] = result.errors.duration;
        if (result.errors.resources) errors[ReviewIds.includeBlock] = result.errors.resources;
        // The extension modal has no resource picker: a resource problem is said in the modal instead.
        await ack(fieldErrorsAnswer(view, errors));
        return;
      }
      if (result.outcome === 'needs_more') {
        const left = result.required - result.approvals;
        await ack({
          response_action: 'update',
          view: messageModal(
            'Approval recorded',
            `Your approval is recorded (${result.approvals} of ${result.required}). The request needs ${left} more approval${left === 1 ? '' : 's'} from other approvers before access is granted.`,
          ),
        });
        return;
      }
      if (result.outcome === 'stage_passed') {
        await ack({
          response_action: 'update',
          view: messageModal(
            'Stage passed',
            'Your approval passed this stage. The approvers of the next stage are asked now; access is granted when the last stage passes.',
          ),
        });
        return;
      }
      await ack();
    } catch (error) {
      const text = describeFailure(deps.logger, error, {
        action: 'review.approve.submit',
        slack_user: userId,
        request_id: requestId,
      });
      await ack({ response_action: 'update', view: messageModal('Not approved', text) });
    }
  };
}

export function denySubmissionHandler(deps: SlackDeps) {
  return async ({ ack, body, view }: SubmitArgs) => {
    const userId = body.user.id;
    const requestId = parseRequestRef(view.private_metadata);
    try {
      if (!requestId) throw new AppError('stale_reference', 'deny modal without a request id');
      const reason = textValue(view.state.values as StateValues, ReviewIds.reasonBlock, ReviewIds.reasonAction);
      await deps.reviews.deny(requestId, userId, reason, parseStageRef(view.private_metadata));
      await ack();
    } catch (error) {
      const text = describeFailure(deps.logger, error, {
        action: 'review.deny.submit',
        slack_user: userId,
        request_id: requestId,
      });
      await ack({ response_action: 'update', view: messageModal('Not denied', text) });
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.action<BlockAction<ButtonAction>>(ReviewIds.approveButton, reviewButtonHandler(deps, 'approve'));
  app.action<BlockAction<ButtonAction>>(ReviewIds.denyButton, reviewButtonHandler(deps, 'deny'));
  app.action<BlockAction<ButtonAction>>(ReviewIds.revokeButton, revokeButtonHandler(deps));
  app.view(ReviewIds.tuningCallback, tuningSubmissionHandler(deps));
  app.view(ReviewIds.denyCallback, denySubmissionHandler(deps));
}
