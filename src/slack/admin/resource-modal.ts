import type { KnownBlock, ModalView } from '@slack/types';
import { RESOURCE_TYPES, type Resource } from '../../domain/resource.js';
import { AdminIds, FIELD, ResourceForm } from '../ids.js';
import { truncate } from '../mrkdwn.js';
import { option, plain, section } from '../views.js';

const TYPE_LABELS: Record<string, string> = {
  ssh: 'SSH host',
  database: 'Database',
  kubernetes: 'Kubernetes cluster',
  http: 'HTTP app',
  repository: 'GitHub repository',
  generic: 'Other',
};

const text = (
  block: string,
  label: string,
  initial: string,
  opts: { optional?: boolean; hint?: string; multiline?: boolean; max?: number } = {},
): KnownBlock =>
  ({
    type: 'input',
    block_id: block,
    optional: opts.optional ?? true,
    label: plain(label, 2000),
    ...(opts.hint ? { hint: plain(opts.hint, 2000) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: FIELD,
      max_length: opts.max ?? 500,
      multiline: opts.multiline ?? false,
      ...(initial ? { initial_value: initial } : {}),
    },
  }) as KnownBlock;

/** Add or edit a resource, with the tuning choices the approver's modal offers by default. */
export function buildResourceModal(
  r: Resource | undefined,
  provisionerTypes: string[] = [],
  declaredSecrets: string[] = [],
): ModalView {
  const provOptions = [option('None (record only)', 'none'), ...provisionerTypes.map((t) => option(t, t))];
  const currentProv = provOptions.find((o) => o.value === (r?.provisioner?.type ?? 'none')) ?? provOptions[0]!;
  const settingsText = r?.provisioner
    ? Object.entries(r.provisioner.settings)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`)
        .join('\n')
    : '';
  const typeOptions = RESOURCE_TYPES.map((t) => option(TYPE_LABELS[t] ?? t, t));
  const blocks: KnownBlock[] = [
    text(ResourceForm.name, 'Name', r?.name ?? '', {
      optional: false,
      max: 64,
      hint: r ? 'A resource keeps its name.' : 'Lower-case letters, digits, - _ . — used in `/access request <name>`.',
    }),
    {
      type: 'input',
      block_id: ResourceForm.type,
      label: plain('Type'),
      element: {
        type: 'static_select',
        action_id: FIELD,
        options: typeOptions,
        ...(r ? { initial_option: typeOptions.find((o) => o.value === r.type)! } : {}),
      },
    },
    {
      type: 'input',
      block_id: ResourceForm.tags,
      optional: true,
      label: plain('Tags'),
      hint: plain('Flows can pick resources by tag. Type a new tag to add it.'),
      element: {
        type: 'multi_external_select',
        action_id: AdminIds.pickTags,
        min_query_length: 0,
        ...(r?.tags.length ? { initial_options: r.tags.map((t) => option(t, t)) } : {}),
      },
    },
    text(ResourceForm.description, 'Description', r?.description ?? '', { multiline: true }),
    section('*Tuning defaults* offered to approvers (comma-separated):'),
    text(ResourceForm.logins, 'SSH login users', r?.defaults.loginUsers.join(', ') ?? ''),
    text(ResourceForm.databases, 'Database names', r?.defaults.databases.join(', ') ?? ''),
    text(ResourceForm.namespaces, 'Kubernetes namespaces', r?.defaults.namespaces.join(', ') ?? ''),
    text(
      ResourceForm.roles,
      'Cloud roles, or a repository permission (pre-selected)',
      r?.defaults.roles?.join(', ') ?? '',
    ),
    {
      type: 'input',
      block_id: ResourceForm.provisioner,
      label: plain('Provisioner'),
      hint: plain('What makes an approved grant real in the target, and takes it away at the end.'),
      element: { type: 'static_select', action_id: FIELD, options: provOptions, initial_option: currentProv },
    },
    text(ResourceForm.settings, 'Provisioner settings', settingsText, {
      multiline: true,
      max: 2000,
      hint: truncate(
        'One "key: value" per line. Secrets are references to what the operator declared, never values: ' +
          (declaredSecrets.length
            ? `${declaredSecrets.join(', ')}.`
            : 'none is declared yet (the operator sets ACCESS_SECRET_* variables or ACCESS_SECRETS_DIR).'),
        2000,
      ),
    }),
  ];
  return {
    type: 'modal',
    callback_id: AdminIds.resourceCallback,
    private_metadata: JSON.stringify({ resourceId: r?.id ?? null }),
    title: plain(r ? 'Edit resource' : 'New resource', 24),
    submit: plain('Save', 24),
    close: plain('Cancel', 24),
    blocks,
  };
}

/** Confirmation before a delete: the click only opens this; the submission re-checks and deletes. */
export function buildDeleteModal(kind: 'flow' | 'resource', id: string, name: string): ModalView {
  return {
    type: 'modal',
    callback_id: AdminIds.deleteCallback,
    private_metadata: JSON.stringify({ kind, id }),
    title: plain(kind === 'flow' ? 'Delete flow' : 'Delete resource', 24),
    submit: plain('Delete', 24),
    close: plain('Keep it', 24),
    blocks: [section(`Delete the ${kind} *${name}*? Past requests keep their history.`)],
  };
}
