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
import { AdminIds, FlowForm } from '../ids.js';
import { describeFailure, failureModalAnswer } from '../reply.js';
import type { StateValues } from '../state.js';
import { tellClicker } from '../tell.js';
import { fieldErrorsAnswer } from '../view-errors.js';
import { option } from '../views.js';
import { readLifecycleForm } from './flow-lifecycle-form.js';
import { buildFlowModal, GROUP_BLOCKS, groupOption } from './flow-modal.js';
import { flowErrorsByBlock, readFlowForm, readResourceForm, resourceErrorsByBlock } from './read-forms.js';
import { readStagesForm } from './flow-stages-form.js';
import { conditionProblem, readFieldsForm } from './flow-fields-form.js';
import { buildDeleteModal, buildResourceModal } from './resource-modal.js';

type Click = SlackActionMiddlewareArgs<BlockAction<ButtonAction | OverflowAction>> & AllMiddlewareArgs;
type Submit = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const MenuValue = z.string().regex(/^(edit|enable|disable|delete):(flw|res)_[0-9a-z]{6,20}$/);
const FlowRef = z.object({
  flowId: z
    .string()
    .regex(/^flw_[0-9a-z]{6,20}$/)
    .nullable(),
});
const ResourceRef = z.object({
  resourceId: z
    .string()
    .regex(/^res_[0-9a-z]{6,20}$/)
    .nullable(),
});
const DeleteRef = z.object({ kind: z.enum(['flow', 'resource']), id: z.string().regex(/^(flw|res)_[0-9a-z]{6,20}$/) });
const parseMeta = <T>(schema: z.ZodType<T>, text: string | undefined): T | null => {
  try {
    const r = schema.safeParse(JSON.parse(text ?? ''));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
};

/** The workspace's user groups for the flow editor; null where the Slack plan has none. */
async function pickableGroups(deps: SlackDeps) {
  const groups = await deps.admin.groups();
  return (await deps.admin.userGroupsAvailable()) ? groups : null;
}

/**
 * The flow's groups where the editor did not show their pickers (a workspace without user groups):
 * put back into the submitted state, so saving a flow there never drops the groups it names.
 */
async function withHiddenGroups(deps: SlackDeps, flowId: string | null, view: Submit['view']): Promise<StateValues> {
  const values = { ...(view.state.values as StateValues) };
  const shown = new Set(view.blocks.map((b) => b.block_id));
  const hidden = GROUP_BLOCKS.filter((b) => !shown.has(b));
  if (hidden.length === 0) return values;
  const before = flowId ? await deps.admin.flow(flowId) : null;
  const kept: Record<(typeof GROUP_BLOCKS)[number], string[]> = {
    [FlowForm.requesterGroups]: before?.requesterGroups ?? [],
    [FlowForm.approverGroups]: before?.approverGroups ?? [],
    [FlowForm.managerFallbackGroups]: before?.lifecycle.managerApprover?.fallbackGroups ?? [],
    [FlowForm.escalationGroups]: before?.lifecycle.escalationGroups ?? [],
    [FlowForm.breakGlassGroups]: before?.lifecycle.breakGlass?.groups ?? [],
    [FlowForm.reviewerGroups]: before?.review?.reviewerGroups ?? [],
    [FlowForm.onBehalfGroups]: before?.onBehalf?.requesterGroups ?? [],
    [FlowForm.onBehalfForGroups]: before?.onBehalf?.forGroups ?? [],
  };
  for (const block of hidden)
    values[block] = {
      [AdminIds.pickGroups]: {
        type: 'multi_external_select',
        selected_options: kept[block].map((id) => ({ value: id })),
      },
    };
  return values;
}

/** Buttons and menus in the admin tabs: each re-checks admin rights in the service it calls. */
function clickHandler(deps: SlackDeps) {
  return async ({ ack, body, action, client, respond }: Click) => {
    await ack();
    const userId = body.user.id;
    try {
      if (action.action_id === AdminIds.addFlow || action.action_id === AdminIds.addResource) {
        await deps.admin.requireAdmin(userId);
        const view =
          action.action_id === AdminIds.addFlow
            ? buildFlowModal(undefined, await pickableGroups(deps))
            : buildResourceModal(undefined, deps.admin.provisionerTypes(), deps.admin.declaredSecrets());
        await client.views.open({ trigger_id: body.trigger_id, view });
        return;
      }
      const menu = MenuValue.safeParse(action.type === 'overflow' ? action.selected_option?.value : '');
      if (!menu.success) throw new AppError('stale_reference', 'admin menu without a valid choice');
      const value = menu.data;
      const [verb, id] = value.split(':') as [string, string];
      if (id.startsWith('flw_')) {
        if (verb === 'enable' || verb === 'disable') {
          await deps.admin.setEnabled(userId, id, verb === 'enable');
          await publishHome(deps, client, userId);
          return;
        }
        await deps.admin.requireAdmin(userId);
        const flow = await deps.admin.flow(id);
        if (!flow) throw new AppError('stale_reference', `flow ${id} is gone`);
        if (flow.managedBy === 'file') throw new AppError('managed_by_file', 'This flow is managed by ACCESS_CONFIG');
        const view =
          verb === 'edit' ? buildFlowModal(flow, await pickableGroups(deps)) : buildDeleteModal('flow', id, flow.name);
        await client.views.open({ trigger_id: body.trigger_id, view });
        return;
      }
      await deps.admin.requireAdmin(userId);
      const resource = (await deps.admin.resources()).find((r) => r.id === id);
      if (!resource) throw new AppError('stale_reference', `resource ${id} is gone`);
      if (resource.managedBy === 'file')
        throw new AppError('managed_by_file', 'This resource is managed by ACCESS_CONFIG');
      if (resource.managedBy === 'sync')
        throw new AppError('managed_by_sync', 'This resource comes from a group source');
      await client.views.open({
        trigger_id: body.trigger_id,
        view:
          verb === 'edit'
            ? buildResourceModal(resource, deps.admin.provisionerTypes(), deps.admin.declaredSecrets())
            : buildDeleteModal('resource', id, resource.name),
      });
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

function flowSubmission(deps: SlackDeps) {
  return async ({ ack, body, view, client }: Submit) => {
    const ref = parseMeta(FlowRef, view.private_metadata);
    try {
      if (!ref) throw new AppError('stale_reference', 'flow modal without a flow reference');
      // The auto-approval YAML must parse before there is a flow to validate at all.
      const values = await withHiddenGroups(deps, ref.flowId, view);
      const { autoApproveError, onCallError, lifecycle } = readLifecycleForm(values);
      const stages = readStagesForm(values, lifecycle.pendingTtlMinutes);
      const stagesError = 'error' in stages ? stages.error : null;
      const fields = readFieldsForm(values);
      const fieldsError = 'error' in fields ? fields.error : null;
      // A rule's field condition must name a field of this flow (as config load refuses it).
      const conditionError = 'fields' in fields ? conditionProblem(lifecycle.autoApprove, fields.fields) : null;
      if (autoApproveError || onCallError || stagesError || fieldsError || conditionError) {
        return void (await ack(
          fieldErrorsAnswer(view, {
            ...(fieldsError ? { [FlowForm.fields]: fieldsError } : {}),
            ...(autoApproveError || conditionError
              ? { [FlowForm.autoApprove]: (autoApproveError ?? conditionError)! }
              : {}),
            ...(onCallError ? { [FlowForm.onCallApprovers]: onCallError } : {}),
            ...(stagesError ? { [FlowForm.stages]: stagesError } : {}),
          }),
        ));
      }
      const result = await deps.admin.saveFlow(body.user.id, ref.flowId, readFlowForm(values));
      if (!result.ok) return void (await ack(fieldErrorsAnswer(view, flowErrorsByBlock(result.errors))));
      await ack();
      await publishHome(deps, client, body.user.id);
    } catch (error) {
      await ack(
        failureModalAnswer(deps.logger, 'Not saved', error, { action: 'admin.flow.save', slack_user: body.user.id }),
      );
    }
  };
}

function resourceSubmission(deps: SlackDeps) {
  return async ({ ack, body, view, client }: Submit) => {
    const ref = parseMeta(ResourceRef, view.private_metadata);
    try {
      if (!ref) throw new AppError('stale_reference', 'resource modal without a resource reference');
      const result = await deps.admin.saveResource(
        body.user.id,
        ref.resourceId,
        readResourceForm(view.state.values as StateValues),
      );
      if (!result.ok) return void (await ack(fieldErrorsAnswer(view, resourceErrorsByBlock(result.errors))));
      await ack();
      await publishHome(deps, client, body.user.id);
    } catch (error) {
      await ack(
        failureModalAnswer(deps.logger, 'Not saved', error, {
          action: 'admin.resource.save',
          slack_user: body.user.id,
        }),
      );
    }
  };
}

function deleteSubmission(deps: SlackDeps) {
  return async ({ ack, body, view, client }: Submit) => {
    const ref = parseMeta(DeleteRef, view.private_metadata);
    try {
      if (!ref) throw new AppError('stale_reference', 'delete modal without a reference');
      if (ref.kind === 'flow') await deps.admin.deleteFlow(body.user.id, ref.id);
      else await deps.admin.deleteResource(body.user.id, ref.id);
      await ack();
      await publishHome(deps, client, body.user.id);
    } catch (error) {
      await ack(
        failureModalAnswer(deps.logger, 'Not deleted', error, { action: 'admin.delete', slack_user: body.user.id }),
      );
    }
  };
}

/** Type-ahead for the admin forms; non-admins get nothing. */
function registerPickers(app: App, deps: SlackDeps) {
  const guarded =
    (load: (query: string) => Promise<ReturnType<typeof option>[]>) =>
    async ({
      ack,
      body,
    }: {
      ack: (r: { options: ReturnType<typeof option>[] }) => Promise<void>;
      body: { user: { id: string }; value?: string };
    }) => {
      try {
        if (!(await deps.admin.isAdmin(body.user.id))) return void (await ack({ options: [] }));
        await ack({
          options: (
            await load(
              String(body.value ?? '')
                .trim()
                .toLowerCase(),
            )
          ).slice(0, 100),
        });
      } catch (error) {
        describeFailure(deps.logger, error, { action: 'admin.pick', slack_user: body.user.id });
        await ack({ options: [] });
      }
    };
  app.options(
    AdminIds.pickResources,
    guarded(async (q) =>
      (await deps.admin.resources()).filter((r) => r.name.includes(q)).map((r) => option(r.name, r.name, r.type)),
    ),
  );
  app.options(
    AdminIds.pickGroups,
    guarded(async (q) =>
      (await deps.admin.groups())
        .filter((g) => !g.disabled && `${g.handle} ${g.name}`.toLowerCase().includes(q))
        .map(groupOption),
    ),
  );
  app.options(
    AdminIds.pickTags,
    guarded(async (q) => {
      const tags = (await deps.admin.tags()).filter((t) => t.includes(q)).map((t) => option(t, t));
      const isNew = /^[a-z0-9][a-z0-9._:-]{0,63}$/.test(q) && !tags.some((t) => t.value === q);
      return isNew ? [option(`${q} (new tag)`, q), ...tags] : tags;
    }),
  );
}

export function register(app: App, deps: SlackDeps) {
  const onClick = clickHandler(deps);
  for (const id of [AdminIds.addFlow, AdminIds.addResource])
    app.action<BlockAction<ButtonAction | OverflowAction>>(id, onClick);
  // Each row's menu has its own action id (`admin.flow.menu.<id>`), so a click names its row twice.
  app.action<BlockAction<OverflowAction>>({ action_id: /^admin\.(flow|resource)\.menu\./ }, onClick);
  app.view(AdminIds.flowCallback, flowSubmission(deps));
  app.view(AdminIds.resourceCallback, resourceSubmission(deps));
  app.view(AdminIds.deleteCallback, deleteSubmission(deps));
  registerPickers(app, deps);
}
