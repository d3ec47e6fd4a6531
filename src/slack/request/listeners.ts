import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from '../deps.js';
import { RequestIds } from '../ids.js';
import { describeFailure } from '../reply.js';
import {
  dateTimeValue,
  minutesValue,
  selectedUser,
  selectedValue,
  selectedValues,
  textValue,
  type StateValues,
} from '../state.js';
import { messageModal } from '../views.js';
import { fieldErrorsAnswer } from '../view-errors.js';
import { buildRequestModal, isDurationBlock, isResourcesBlock, resourceOption, sshKeyInput } from './request-modal.js';
import { redrawOnPick } from './redraw-on-pick.js';
import { readFieldValues } from './field-inputs.js';
import { buildRequestSentModal } from './request-sent-modal.js';

/**
 * Opens the request form. Returns the sentence to show the person when it cannot (guest, nothing
 * requestable), so the caller can say it where the person is (ephemeral reply or modal).
 */
export async function openRequestModal(
  deps: SlackDeps,
  client: WebClient,
  userId: string,
  triggerId: string,
  preselect?: string,
) {
  try {
    const form = await deps.requests.openForm(userId, preselect);
    await client.views.open({ trigger_id: triggerId, view: buildRequestModal(form) });
    return null;
  } catch (error) {
    return describeFailure(deps.logger, error, { action: 'request.open', slack_user: userId });
  }
}

export function readRequestSubmission(values: StateValues) {
  const durationBlock = Object.keys(values ?? {}).find(isDurationBlock) ?? RequestIds.durationBlock;
  const resourcesBlock = Object.keys(values ?? {}).find(isResourcesBlock) ?? RequestIds.resourcesBlock;
  return {
    resourceNames: selectedValues(values, resourcesBlock, RequestIds.resourcesAction),
    bundleName: selectedValue(values, RequestIds.bundleBlock, RequestIds.bundleAction),
    durationMinutes: minutesValue(selectedValue(values, durationBlock, RequestIds.durationAction)),
    justification: textValue(values, RequestIds.justificationBlock, RequestIds.justificationAction),
    sshPublicKey: textValue(values, RequestIds.sshKeyBlock, RequestIds.sshKeyAction),
    startsAt: dateTimeValue(values, RequestIds.startBlock, RequestIds.startAction),
    onBehalfOf: selectedUser(values, RequestIds.forBlock, RequestIds.forAction),
    flowFields: readFieldValues(values),
  };
}

const FIELD_BLOCKS = {
  resources: RequestIds.resourcesBlock,
  duration: RequestIds.durationBlock,
  justification: RequestIds.justificationBlock,
  sshKey: RequestIds.sshKeyBlock,
  startsAt: RequestIds.startBlock,
  onBehalf: RequestIds.forBlock,
  fields: RequestIds.resourcesBlock,
} as const;

export function requestSubmissionHandler(deps: SlackDeps) {
  return async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
    const userId = body.user.id;
    try {
      const result = await deps.requests.submit({
        requesterId: userId,
        submissionKey: view.id,
        ...readRequestSubmission(view.state.values as StateValues),
      });
      if (!result.ok) {
        // The duration field is renamed when a pick of resources redraws it afresh (request-modal.ts).
        const durationBlock = view.blocks.map((b) => b.block_id).find(isDurationBlock);
        const resourcesBlock = view.blocks.map((b) => b.block_id).find(isResourcesBlock);
        const blockOf = (field: string) =>
          field === 'duration' && durationBlock
            ? durationBlock
            : field === 'resources' && resourcesBlock
              ? resourcesBlock
              : field.startsWith('field.')
                ? `${RequestIds.fieldBlockPrefix}${field.slice('field.'.length)}`
                : (FIELD_BLOCKS[field as keyof typeof FIELD_BLOCKS] ?? field);
        const errors = Object.fromEntries(
          Object.entries(result.errors).map(([field, text]) => [blockOf(field), text ?? '']),
        );
        // The SSH key field is only shown to people without a saved key; one removed since needs it back.
        await ack(fieldErrorsAnswer(view, errors, { [RequestIds.sshKeyBlock]: sshKeyInput() }));
        return;
      }
      await ack({ response_action: 'update', view: buildRequestSentModal(result.requests) });
    } catch (error) {
      const text = describeFailure(deps.logger, error, { action: 'request.submit', slack_user: userId });
      await ack({ response_action: 'update', view: messageModal('Request not sent', text) });
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.view(RequestIds.callback, requestSubmissionHandler(deps));
  app.action(RequestIds.resourcesAction, redrawOnPick(deps));
  app.action(RequestIds.forAction, redrawOnPick(deps));
  app.action(RequestIds.bundleAction, redrawOnPick(deps));

  // Type-ahead for the resource picker once a person may request more than Slack's 100 options.
  app.options(RequestIds.resourcesAction, async ({ ack, body }) => {
    try {
      const found = await deps.requests.search(body.user.id, String(body.value ?? ''));
      await ack({ options: found.map(resourceOption) });
    } catch (error) {
      describeFailure(deps.logger, error, { action: 'request.search', slack_user: body.user.id });
      await ack({ options: [] });
    }
  });

  app.action(RequestIds.openButton, async ({ ack, body, client }) => {
    await ack();
    const triggerId = 'trigger_id' in body ? body.trigger_id : undefined;
    if (!triggerId) return;
    const problem = await openRequestModal(deps, client, body.user.id, triggerId);
    // The trigger is still unused when the form could not be built: say why in a modal (works in App Home too).
    if (problem) await client.views.open({ trigger_id: triggerId, view: messageModal('Request access', problem) });
  });
}
