// The side panels: the bot's clock (with the fast-forward that makes expiry visible), the built-in
// webhook receiver, and Web API calls the Slack double refused.
import { el } from './dom.js';

/** Built once: the time line is redrawn every second, and the number someone typed must survive it. */
export function clockControls(call) {
  const minutes = el('input', {
    type: 'number',
    min: '1',
    max: '10080',
    value: '15',
    id: 'advance-minutes',
    'aria-label': 'Minutes to advance',
  });
  return el(
    'div',
    {},
    el('p', { id: 'clock-now' }),
    el(
      'div',
      { class: 'row' },
      minutes,
      el(
        'button',
        { type: 'button', onclick: () => call('clock', { minutes: Number(minutes.value) }) },
        'Advance clock',
      ),
      el('button', { type: 'button', onclick: () => call('expire', {}) }, 'Run expiry now'),
    ),
    el(
      'p',
      { class: 'muted' },
      'Moving the clock runs the expiry job at once, so a 15-minute grant ends in front of you.',
    ),
  );
}

/** What a Slack admin can do to the person shown: deactivate their account (Slack then sends user_change). */
export function slackAdminControls(call, currentUser, afterwards) {
  return el(
    'div',
    {},
    el(
      'button',
      {
        type: 'button',
        id: 'deactivate',
        onclick: async () => {
          if (await call('deactivate', { user: currentUser() })) afterwards();
        },
      },
      'Deactivate this person in Slack',
    ),
    el(
      'p',
      { class: 'muted' },
      'Their grants end and their pending requests are cancelled; they leave the people list.',
    ),
  );
}

export function clockNow(clock) {
  const offset = clock.offsetMinutes > 0 ? ` (${clock.offsetMinutes} min ahead of real time)` : '';
  return ['Bot time: ', el('strong', {}, new Date(clock.now).toLocaleString()), offset];
}

export function renderWebhooks(events, names) {
  if (events.length === 0)
    return el('p', { class: 'muted' }, 'Nothing yet. Approved grants are POSTed here, signed per Standard Webhooks.');
  return el(
    'ol',
    { class: 'webhooks' },
    events.slice(0, 30).map((e) => {
      const d = e.data ?? {};
      return el(
        'li',
        { class: e.verified ? 'verified' : 'rejected', 'data-type': e.type },
        el(
          'div',
          {},
          el('strong', {}, e.type),
          ' ',
          e.verified
            ? el('span', { class: 'badge ok' }, 'signature ok')
            : el('span', { class: 'badge bad' }, `refused: ${e.problem ?? 'bad signature'}`),
        ),
        d.resource
          ? el(
              'div',
              {},
              `${d.resource.name} (${d.resource.type}) for ${names.users[d.requester?.slack_id] ?? d.requester?.slack_id ?? '?'}`,
            )
          : null,
        d.expires_at ? el('div', { class: 'muted' }, `until ${new Date(d.expires_at).toLocaleString()}`) : null,
        el(
          'details',
          { class: 'payload' },
          el('summary', {}, `Payload (JSON), received ${new Date(e.receivedAt).toLocaleTimeString()}`),
          el('pre', {}, JSON.stringify(e.data, null, 2)),
        ),
      );
    }),
  );
}

export function renderTargets(targets) {
  if (targets.length === 0) return el('p', { class: 'muted' }, 'No simulated cloud or identity targets.');
  return el(
    'div',
    { class: 'targets' },
    targets.map((t) =>
      el(
        'div',
        { class: 'target', 'data-target': t.name },
        el('strong', {}, t.name),
        t.note
          ? el('p', { class: 'muted note' }, t.note)
          : t.items.length === 0
            ? el('p', { class: 'muted' }, 'Nothing granted.')
            : el(
                'ul',
                {},
                t.items.map((i) => el('li', {}, el('code', {}, i))),
              ),
      ),
    ),
  );
}

export function renderSlackErrors(errors) {
  if (errors.length === 0) return el('p', { class: 'muted' }, 'None: Slack accepted every call the bot made.');
  return el(
    'ul',
    { class: 'slack-errors' },
    errors.map((e) =>
      el(
        'li',
        {},
        el('code', {}, e.method),
        ` → ${e.error} `,
        el('span', { class: 'muted' }, new Date(e.at).toLocaleTimeString()),
      ),
    ),
  );
}

/** The sandbox's PagerDuty schedule: who is on call, and the switch for the person shown. */
export function renderOnCall(onCall, me, names, call) {
  if (!onCall) return el('p', { class: 'muted' }, 'No on-call schedule in this sandbox.');
  const mine = onCall.onCall.includes(me);
  const who = onCall.onCall.map((id) => names.users[id] ?? id).join(', ') || 'nobody';
  return el(
    'div',
    {},
    el('p', {}, el('strong', {}, onCall.schedule), `: ${who} on call now.`),
    el(
      'button',
      { type: 'button', id: 'on-call-toggle', onclick: () => call('on-call', { user: me, on: !mine }) },
      mine ? 'Take me off call' : 'Put me on call',
    ),
    el(
      'p',
      { class: 'muted' },
      'The production flow approves whoever is on call here at once (up to 1 hour, read-only). Put Rita on call, then ask for prod-db.',
    ),
  );
}
