// The Group sources panel: the groups of the Okta and Entra ID doubles that the catalogue's group sources
// make into resources, what the last sync did, and an identity admin's two moves there (add a group,
// delete one), then "Sync now", which runs the sync at once as `npm run config -- sync` does.
import { el } from './dom.js';

function lastSync(s) {
  if (!s.lastSync) return el('p', { class: 'muted last-sync' }, 'Not synced yet: the bot syncs every source at start.');
  const at = new Date(s.lastSync.at).toLocaleTimeString();
  return el(
    'p',
    { class: 'last-sync' },
    `Last sync ${at}: `,
    s.lastSync.ok ? s.lastSync.text : el('span', { class: 'badge bad' }, s.lastSync.text),
  );
}

function row(s, r, call) {
  return el(
    'li',
    { 'data-group': r.group, 'data-state': r.state },
    r.resource ? el('code', {}, r.resource) : el('span', { class: 'muted' }, 'no resource'),
    ` ← group ${r.group}: `,
    el('span', { class: r.state === 'requestable' ? 'badge ok' : 'badge' }, r.state),
    r.members.length > 0 ? el('div', { class: 'muted' }, `Members: ${r.members.join(', ')}`) : null,
    s.editable && r.inDirectory
      ? el(
          'button',
          {
            type: 'button',
            class: 'small',
            'aria-label': `Delete group ${r.group} in ${s.provider}`,
            onclick: () => call('group-sources/delete', { source: s.name, groupId: r.groupId }),
          },
          `Delete in ${s.provider}`,
        )
      : null,
  );
}

export function renderGroupSources(sources, call) {
  if (sources.length === 0) return el('p', { class: 'muted' }, 'The catalogue names no group sources.');
  return el(
    'div',
    { class: 'group-sources' },
    sources.map((s) =>
      el(
        'div',
        { class: 'group-source', 'data-source': s.name },
        el('strong', {}, `${s.name} (${s.provider})`),
        el('div', { class: 'muted' }, `${s.filter}, tagged ${s.tags.join(', ')}`),
        lastSync(s),
        s.rows.length > 0
          ? el(
              'ul',
              {},
              s.rows.map((r) => row(s, r, call)),
            )
          : el('p', { class: 'muted' }, 'No groups match.'),
        s.outside.length > 0 ? el('p', { class: 'muted' }, `Left out by the filter: ${s.outside.join(', ')}`) : null,
        s.editable
          ? el(
              'button',
              { type: 'button', onclick: () => call('group-sources/add', { source: s.name }) },
              `Add a group in ${s.provider}`,
            )
          : null,
      ),
    ),
    el(
      'div',
      { class: 'row' },
      el('button', { type: 'button', class: 'primary', onclick: () => call('group-sources/sync', {}) }, 'Sync now'),
    ),
    el(
      'p',
      { class: 'muted' },
      'The bot also syncs on its own every 15 minutes of bot time. A deleted group retires its resource: its grants end and the requester is told in Slack.',
    ),
  );
}
