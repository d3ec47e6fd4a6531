import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { isAppError } from '../../domain/errors.js';
import { renderExplain, renderWhoCan } from '../access-command/who-can-view.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../error-text.js';
import { FIELD, WhoCanIds } from '../ids.js';
import { describeFailure } from '../reply.js';
import { textValue, type StateValues } from '../state.js';
import { plain } from '../views.js';

/**
 * App Home's "Who can…" (admins): a resource, and optionally a person, asked in a modal; the answer
 * replaces it, drawn by the same renderers as `/access whocan` and `/access explain` (100 blocks in a modal).
 */
export function buildWhoCanForm(): ModalView {
  return {
    type: 'modal',
    callback_id: WhoCanIds.callback,
    title: plain('Who can…', 24),
    submit: plain('Show', 24),
    close: plain('Close', 24),
    blocks: [
      {
        type: 'input',
        block_id: WhoCanIds.resourceBlock,
        label: plain('Resource'),
        hint: plain('Its name, as in /access whocan prod-db.'),
        element: { type: 'plain_text_input', action_id: FIELD, max_length: 64 },
      },
      {
        type: 'input',
        block_id: WhoCanIds.personBlock,
        optional: true,
        label: plain('Person (optional)'),
        hint: plain('Pick someone to see whether they may request it, and why.'),
        element: { type: 'users_select', action_id: FIELD },
      },
    ],
  };
}

export function buildWhoCanAnswer(title: string, blocks: ModalView['blocks']): ModalView {
  return { type: 'modal', title: plain(title, 24), close: plain('Close', 24), blocks };
}

type Submit = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export function whoCanSubmit(deps: SlackDeps) {
  return async ({ ack, body, view }: Submit) => {
    const values = view.state.values as StateValues;
    const resource = textValue(values, WhoCanIds.resourceBlock, FIELD).trim();
    const person = (values[WhoCanIds.personBlock]?.[FIELD] as { selected_user?: string | null } | undefined)
      ?.selected_user;
    if (!resource) {
      await ack({ response_action: 'errors', errors: { [WhoCanIds.resourceBlock]: 'Name a resource.' } });
      return;
    }
    try {
      const rendered = person
        ? renderExplain(await deps.whoCan.explain(body.user.id, person, resource))
        : renderWhoCan(await deps.whoCan.whoCan(body.user.id, resource), 100);
      await ack({
        response_action: 'update',
        view: buildWhoCanAnswer(person ? 'Explain' : 'Who can', rendered.blocks),
      });
    } catch (error) {
      if (!isAppError(error)) {
        await ack();
        describeFailure(deps.logger, error, { action: 'whocan.submit', slack_user: body.user.id });
        return;
      }
      await ack({ response_action: 'errors', errors: { [WhoCanIds.resourceBlock]: errorText(error) } });
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.action<BlockAction<ButtonAction>>(WhoCanIds.openButton, async ({ ack, body, client }) => {
    await ack();
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: buildWhoCanForm() });
    } catch (error) {
      describeFailure(deps.logger, error, { action: 'whocan.open', slack_user: body.user.id });
    }
  });
  app.view(WhoCanIds.callback, whoCanSubmit(deps));
}
