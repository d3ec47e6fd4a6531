import type { KnownBlock, ModalView } from '@slack/types';
import { stringify } from 'yaml';
import { tuningToFile } from '../../domain/bundle.js';
import type { BundleRow, ResourceRow } from '../../domain/catalog.js';
import { minutesText } from '../../domain/file-fields.js';
import { AdminIds, BundleFormIds, FIELD } from '../ids.js';
import { code, truncate, userText } from '../mrkdwn.js';
import { context, option, plain, section } from '../views.js';

/** Slack's static selects hold 100 options: the picker offers the first 100 resources by name. */
const MAX_OPTIONS = 100;
/** Bundles listed one block each in the Resources tab (the resources' page takes the rest of Home's 100 blocks). */
const MAX_LISTED = 15;

const textInput = (
  block: string,
  label: string,
  initial: string,
  opts: { optional?: boolean; hint?: string; multiline?: boolean; max?: number } = {},
): KnownBlock =>
  ({
    type: 'input',
    block_id: block,
    optional: opts.optional ?? false,
    label: plain(label),
    ...(opts.hint ? { hint: plain(opts.hint, 2000) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: FIELD,
      max_length: opts.max ?? 500,
      multiline: opts.multiline ?? false,
      ...(initial ? { initial_value: initial } : {}),
    },
  }) as KnownBlock;

/** The parts' tuning as the modal's YAML text: one line per tuned resource. */
export function tuningText(b: Pick<BundleRow, 'parts'> | undefined): string {
  const tuned = Object.fromEntries(
    (b?.parts ?? []).flatMap((p) => (p.tuning ? [[p.resource, tuningToFile(p.tuning)]] : [])),
  );
  return Object.keys(tuned).length ? stringify(tuned, { collectionStyle: 'flow' }).trimEnd() : '';
}

/** Add or edit a bundle: its resources, the duration the form picks, and each resource's requested scope. */
export function buildBundleModal(b: BundleRow | undefined, resources: readonly ResourceRow[]): ModalView {
  const options = resources.slice(0, MAX_OPTIONS).map((r) => option(r.name, r.name, r.type));
  const initial = options.filter((o) => b?.parts.some((p) => p.resource === o.value));
  return {
    type: 'modal',
    callback_id: AdminIds.bundleCallback,
    private_metadata: JSON.stringify({ bundleId: b?.id ?? null }),
    title: plain(b ? 'Edit bundle' : 'Add bundle', 24),
    submit: plain('Save', 24),
    close: plain('Cancel', 24),
    blocks: [
      textInput(BundleFormIds.name, 'Name', b?.name ?? '', { max: 64, hint: 'Lower-case letters, digits, - _ .' }),
      textInput(BundleFormIds.description, 'Description', b?.description ?? '', { optional: true }),
      {
        type: 'input',
        block_id: BundleFormIds.resources,
        label: plain('Resources'),
        hint: plain('Each goes to the approvers of the flow that covers it for the requester.'),
        element: {
          type: 'multi_static_select',
          action_id: FIELD,
          max_selected_items: 20,
          options: options.length ? options : [option('(no resources yet)', '-')],
          ...(initial.length ? { initial_options: initial } : {}),
        },
      },
      textInput(BundleFormIds.duration, 'Default duration', b ? minutesText(b.durationMinutes) : '', {
        max: 10,
        hint: 'Like 30m, 2h or 1d: what the request form picks (no longer than the flows allow).',
      }),
      textInput(BundleFormIds.tuning, 'Requested scope (YAML)', tuningText(b), {
        optional: true,
        multiline: true,
        max: 3000,
        hint: 'One line per resource, e.g. prod-db: { access: read-only, databases: [app] } or k8s-prod: { role: view, namespaces: [payments] }. Approvers can narrow it, never widen it.',
      }),
    ],
  };
}

export function buildBundleDeleteModal(b: BundleRow): ModalView {
  return {
    type: 'modal',
    callback_id: AdminIds.bundleDeleteCallback,
    private_metadata: JSON.stringify({ bundleId: b.id }),
    title: plain('Delete bundle', 24),
    submit: plain('Delete', 24),
    close: plain('Keep it', 24),
    blocks: [section(`Delete the bundle *${userText(b.name, 64)}*? Requests made from it keep their history.`)],
  };
}

/** One bundle in the admins' Resources tab, with its menu (or the file's mark). */
export function bundleBlock(b: BundleRow): KnownBlock {
  const parts = b.parts.map((p) => code(p.resource) + (p.tuning ? ' (scoped)' : '')).join(', ');
  const text = truncate(
    `*${userText(b.name, 64)}*${b.managedBy === 'file' ? '  :page_facing_up: managed by ACCESS_CONFIG' : ''} · ${minutesText(b.durationMinutes)}\n${parts}${b.description ? `\n${userText(b.description, 300)}` : ''}`,
    3000,
  );
  if (b.managedBy !== 'app') return section(text);
  return {
    type: 'section',
    block_id: `bundle.${b.id}`,
    text: { type: 'mrkdwn', text },
    accessory: {
      type: 'overflow',
      action_id: `${AdminIds.bundleMenu}.${b.id}`,
      options: [option('Edit', `edit:${b.id}`), option('Delete…', `delete:${b.id}`)],
    },
  };
}

/** The Bundles section of the admins' Resources tab. */
export function bundleSection(bundles: readonly BundleRow[]): KnownBlock[] {
  return [
    section(`*Bundles* (${bundles.length}): named sets of resources with a requested scope, picked as one.`),
    {
      type: 'actions',
      block_id: 'admin.bundles.actions',
      elements: [{ type: 'button', action_id: AdminIds.addBundle, value: 'new', text: plain('Add bundle') }],
    },
    ...(bundles.length ? bundles.slice(0, MAX_LISTED).map(bundleBlock) : [context('No bundles yet.')]),
    // App Home holds 100 blocks: past this many, the rest are named in a line (export lists them all).
    ...(bundles.length > MAX_LISTED
      ? [
          context(
            `And ${bundles.length - MAX_LISTED} more: ${bundles
              .slice(MAX_LISTED)
              .map((b) => b.name)
              .join(', ')}`.slice(0, 2900),
          ),
        ]
      : []),
  ];
}
