import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ackFirst } from '../ack-first.js';
import { RequestIds } from '../ids.js';
import { describeFailure } from '../reply.js';
import { slackErrorCode } from '../slack-error.js';
import { minutesValue, selectedUser, selectedValue, selectedValues, type StateValues } from '../state.js';
import { buildRequestModal, isDurationBlock, isResourcesBlock } from './request-modal.js';

/**
 * A pick in the request form's resource field (its input block dispatches): the form is drawn again with
 * the durations, justification rule and hints of the picked resources' flows. The update passes the hash
 * of the view the pick was made in, so an older redraw never replaces a newer one (`hash_conflict`: a
 * later pick brings its own). The submission checks everything again whatever the form showed.
 */
export function redrawOnPick(deps: SlackDeps) {
  return async ({ ack, body, client, action }: SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs) => {
    await ackFirst(ack);
    const view = body.view;
    if (!view || view.callback_id !== RequestIds.callback) return;
    const values = view.state.values as StateValues;
    const blockIds = (view.blocks as { block_id?: string }[]).map((b) => b.block_id);
    const durationBlock = blockIds.find(isDurationBlock) ?? RequestIds.durationBlock;
    const resourcesBlock = blockIds.find(isResourcesBlock) ?? RequestIds.resourcesBlock;
    const bundle = selectedValue(values, RequestIds.bundleBlock, RequestIds.bundleAction);
    try {
      const form = await deps.requests.formFor(
        body.user.id,
        selectedValues(values, resourcesBlock, RequestIds.resourcesAction),
        // "For" someone (only people allowed to act for others see it; formFor checks that again).
        selectedUser(values, RequestIds.forBlock, RequestIds.forAction),
        // A pick in "Bundle" itself puts its parts and duration in; any other pick keeps the bundle shown.
        bundle ? { name: bundle, fresh: action.action_id === RequestIds.bundleAction } : null,
      );
      // A key field added by an earlier answer (the key was removed meanwhile) stays with what was pasted.
      if (blockIds.includes(RequestIds.sshKeyBlock)) form.asksForSshKey = true;
      const shown = {
        blockId: durationBlock,
        minutes: minutesValue(selectedValue(values, durationBlock, RequestIds.durationAction)),
        resourcesBlockId: resourcesBlock,
      };
      await client.views.update({ view_id: view.id, hash: view.hash, view: buildRequestModal(form, shown) });
    } catch (error) {
      if (slackErrorCode(error) === 'hash_conflict') {
        deps.logger.debug({ slack_user: body.user.id }, 'the request form changed since this pick; left as it is');
        return;
      }
      // The form stays as it was; the submission says what is wrong with it.
      describeFailure(deps.logger, error, { action: 'request.redraw', slack_user: body.user.id });
    }
  };
}
