import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  OverflowAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { SlackDeps } from '../deps.js';
import { publishHome } from '../home/listeners.js';
import { AdminIds, BundleFormIds, FIELD } from '../ids.js';
import { describeFailure, failureModalAnswer } from '../reply.js';
import { selectedValues, textValue, type StateValues } from '../state.js';
import { tellClicker } from '../tell.js';
import { fieldErrorsAnswer } from '../view-errors.js';

import { buildBundleDeleteModal, buildBundleModal } from './bundle-modal.js';

type Click = SlackActionMiddlewareArgs<BlockAction<ButtonAction | OverflowAction>> & AllMiddlewareArgs;
type Submit = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const BundleId = z.string().regex(/^bdl_[0-9a-z]{6,20}$/);
const BundleRef = z.object({ bundleId: BundleId.nullable() });
const MenuValue = z.string().regex(/^(edit|delete):bdl_[0-9a-z]{6,20}$/);
const meta = (text: string | undefined) => {
  try {
    const r = BundleRef.safeParse(JSON.parse(text ?? ''));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
};

/** Add bundle, and a bundle's Edit / Delete…: each re-checks admin rights in the service it calls. */
function clickHandler(deps: SlackDeps) {
  return async ({ ack, body, action, client, respond }: Click) => {
    await ack();
    const userId = body.user.id;
    try {
      await deps.admin.requireAdmin(userId);
      const resources = await deps.admin.resources();
      if (action.action_id === AdminIds.addBundle) {
        await client.views.open({ trigger_id: body.trigger_id, view: buildBundleModal(undefined, resources) });
        return;
      }
      const menu = MenuValue.safeParse(action.type === 'overflow' ? action.selected_option?.value : '');
      if (!menu.success) throw new AppError('stale_reference', 'bundle menu without a valid choice');
      const [verb, id] = menu.data.split(':') as [string, string];
      const bundle = (await deps.bundleAdmin.bundles()).find((b) => b.id === id);
      if (!bundle) throw new AppError('stale_reference', `bundle ${id} is gone`);
      if (bundle.managedBy === 'file') throw new AppError('managed_by_file', 'This bundle is managed by ACCESS_CONFIG');
      const view = verb === 'edit' ? buildBundleModal(bundle, resources) : buildBundleDeleteModal(bundle);
      await client.views.open({ trigger_id: body.trigger_id, view });
    } catch (error) {
      await tellClicker(
        body,
        client,
        respond,
        'Access requests',
        describeFailure(deps.logger, error, { action: action.action_id, slack_user: userId }),
      );
    }
  };
}

const BLOCKS = BundleFormIds;

function saveHandler(deps: SlackDeps) {
  return async ({ ack, body, view, client }: Submit) => {
    const ref = meta(view.private_metadata);
    const values = view.state.values as StateValues;
    try {
      if (!ref) throw new AppError('stale_reference', 'bundle modal without a bundle reference');
      const result = await deps.bundleAdmin.saveBundle(body.user.id, ref.bundleId, {
        name: textValue(values, BLOCKS.name, FIELD),
        description: textValue(values, BLOCKS.description, FIELD),
        resources: selectedValues(values, BLOCKS.resources, FIELD),
        duration: textValue(values, BLOCKS.duration, FIELD),
        tuning: textValue(values, BLOCKS.tuning, FIELD),
      });
      if (!result.ok) {
        const errors = Object.fromEntries(
          Object.entries(result.errors).map(([field, text]) => [BLOCKS[field as keyof typeof BLOCKS], text]),
        );
        return void (await ack(fieldErrorsAnswer(view, errors)));
      }
      await ack();
      await publishHome(deps, client, body.user.id);
    } catch (error) {
      await ack(
        failureModalAnswer(deps.logger, 'Not saved', error, { action: 'admin.bundle.save', slack_user: body.user.id }),
      );
    }
  };
}

function deleteHandler(deps: SlackDeps) {
  return async ({ ack, body, view, client }: Submit) => {
    const ref = meta(view.private_metadata);
    try {
      if (!ref?.bundleId) throw new AppError('stale_reference', 'delete modal without a bundle');
      await deps.bundleAdmin.deleteBundle(body.user.id, ref.bundleId);
      await ack();
      await publishHome(deps, client, body.user.id);
    } catch (error) {
      await ack(
        failureModalAnswer(deps.logger, 'Not deleted', error, {
          action: 'admin.bundle.delete',
          slack_user: body.user.id,
        }),
      );
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.action<BlockAction<ButtonAction>>(AdminIds.addBundle, clickHandler(deps));
  app.action<BlockAction<OverflowAction>>({ action_id: /^admin\.bundle\.menu\./ }, clickHandler(deps));
  app.view(AdminIds.bundleCallback, saveHandler(deps));
  app.view(AdminIds.bundleDeleteCallback, deleteHandler(deps));
}
