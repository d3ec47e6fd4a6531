// The sandbox page: pick a person, see what they see in Slack (DMs and replies, App Home, modals),
// act as them. It polls the double's state every second and re-draws only what changed.
import { getState, post } from './api.js';
import { renderBlocks } from './blocks.js';
import { el } from './dom.js';
import { renderGroupSources } from './group-sources.js';
import { mrkdwn, textHtml } from './mrkdwn.js';
import { modalKey, renderModal } from './modal.js';
import {
  clockControls,
  clockNow,
  renderOnCall,
  renderSlackErrors,
  renderTargets,
  renderWebhooks,
  slackAdminControls,
} from './panels.js';

const $ = (id) => document.getElementById(id);
const SHORTCUTS = ['/access request', '/access list', '/access pending', '/access help'];
const page = {
  user: decodeURIComponent(location.hash.slice(1)) || null,
  tab: 'messages',
  conversation: null,
  snapshot: null,
  drawn: {},
};

function toast(text, kind = 'info') {
  const node = el('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  $('toasts').append(node);
  setTimeout(() => node.remove(), kind === 'error' ? 10000 : 6000);
}

/** Every action: send it, show what Slack would have said about it, and re-draw at once. */
async function call(path, body) {
  try {
    const answer = await post(path, body);
    if (answer.notice) toast(answer.notice, 'warn');
    return answer;
  } catch (e) {
    toast(e.message, 'error');
    return undefined;
  } finally {
    void refresh();
  }
}

/** Re-draw one part when its data changed; `key` may differ from the data (modals, see modalKey). */
function drawIf(part, key, draw) {
  const k = typeof key === 'string' ? key : JSON.stringify(key);
  if (page.drawn[part] === k) return;
  page.drawn[part] = k;
  draw();
}

function blockContext(snap, surface, values) {
  return {
    names: snap.names,
    pickers: snap.pickers,
    textHtml: (obj) => textHtml(obj, snap.names),
    notify: toast,
    values,
    act: (action) => call('action', { user: page.user, surface, ...action }),
  };
}

function drawPeople(snap) {
  $('people').replaceChildren(
    ...snap.people.map((p) =>
      el(
        'button',
        {
          type: 'button',
          class: 'person',
          'aria-pressed': String(p.id === page.user),
          title: p.role,
          onclick: () => switchTo(p.id),
        },
        p.realName,
      ),
    ),
  );
  const me = snap.people.find((p) => p.id === page.user);
  $('me').replaceChildren(
    el(
      'div',
      { class: 'me' },
      el('div', { class: 'muted' }, 'You are'),
      el('strong', {}, me?.realName ?? page.user),
      el('div', { class: 'role' }, me?.role ?? ''),
    ),
  );
}

function drawConversations(snap) {
  $('conversations').replaceChildren(
    el('h2', {}, 'Conversations'),
    ...snap.conversations.map((c) =>
      el(
        'button',
        {
          type: 'button',
          class: 'conversation',
          'aria-current': String(c.id === page.conversation),
          onclick: () => {
            page.conversation = c.id;
            showTab('messages');
            draw(page.snapshot);
          },
        },
        c.kind === 'dm' ? `${c.name} (app)` : c.name,
        el('span', { class: 'count' }, String(c.messages.length)),
      ),
    ),
  );
}

function drawMessages(snap, conversation) {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  if (conversation.messages.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No messages yet. Type /access help or /access request below.'));
    return;
  }
  box.replaceChildren(
    ...conversation.messages.map((m) => {
      const sender = m.user === snap.bot.id ? snap.bot.name : (snap.names.users[m.user] ?? m.user);
      const ctx = blockContext(snap, { channel: m.channel, ts: m.ts }, m.values);
      return el(
        'article',
        { class: `message${m.ephemeral ? ' ephemeral' : ''}`, 'data-ts': m.ts },
        el(
          'div',
          { class: 'meta' },
          el('strong', {}, sender),
          m.user === snap.bot.id ? el('span', { class: 'app-badge' }, 'APP') : null,
          el('time', {}, new Date(Number(m.ts) * 1000).toLocaleTimeString()),
          m.edited ? el('span', { class: 'muted' }, '(edited)') : null,
          m.ephemeral ? el('span', { class: 'only-you' }, 'Only visible to you') : null,
        ),
        m.blocks.length > 0
          ? renderBlocks(m.blocks, ctx)
          : el('div', { class: 'text', html: mrkdwn(m.text, snap.names) }),
      );
    }),
  );
  if (atBottom || page.drawn.scrolledFor !== conversation.id) box.scrollTop = box.scrollHeight;
  page.drawn.scrolledFor = conversation.id;
}

function drawHome(snap) {
  const home = snap.home;
  $('home').replaceChildren(
    home
      ? renderBlocks(home.blocks, {
          ...blockContext(snap, { viewId: home.id }, home.values),
          widgets: new Map(),
          errors: home.errors,
          onInputPick: (b, e, w) =>
            void call('input', {
              user: page.user,
              viewId: home.id,
              inputs: [{ blockId: b.block_id, actionId: e.action_id, value: w.read() }],
            }),
          suggest: async (blockId, actionId, query) =>
            (await call('suggest', { user: page.user, viewId: home.id, blockId, actionId, query }))?.options ?? [],
        })
      : el('p', { class: 'empty' }, 'The bot has not published a Home tab for this person yet.'),
  );
}

function draw(snap) {
  if (!snap) return;
  page.snapshot = snap;
  drawIf('people', [snap.people, page.user], () => drawPeople(snap));
  const conversation = snap.conversations.find((c) => c.id === page.conversation) ?? snap.conversations[0];
  page.conversation = conversation.id;
  drawIf('conversations', [snap.conversations.map((c) => [c.id, c.name, c.messages.length]), page.conversation], () =>
    drawConversations(snap),
  );
  drawIf('messages', [conversation, snap.names], () => drawMessages(snap, conversation));
  drawIf('home', [snap.home?.id, snap.home?.hash, snap.home?.errors, snap.names], () => drawHome(snap));
  drawIf('modal', `${page.user}|${modalKey(snap.modals)}`, () => {
    const env = {
      user: page.user,
      names: snap.names,
      pickers: snap.pickers,
      textHtml: (obj) => textHtml(obj, snap.names),
      call,
      notify: toast,
    };
    $('modal-root').replaceChildren(renderModal(snap.modals, env) ?? '');
  });
  drawIf('clock', snap.clock, () => $('clock-now').replaceChildren(...clockNow(snap.clock)));
  drawIf('on-call', [snap.onCall, page.user, snap.names], () =>
    $('on-call').replaceChildren(renderOnCall(snap.onCall, page.user, snap.names, call)),
  );
  drawIf('webhooks', snap.webhooks, () => $('webhooks').replaceChildren(renderWebhooks(snap.webhooks, snap.names)));
  drawIf('targets', snap.targets, () => $('targets').replaceChildren(renderTargets(snap.targets)));
  drawIf('group-sources', snap.groupSources, () =>
    $('group-sources').replaceChildren(renderGroupSources(snap.groupSources, call)),
  );
  drawIf('errors', snap.slackErrors, () => $('slack-errors').replaceChildren(renderSlackErrors(snap.slackErrors)));
}

let inFlight = null;
async function refresh() {
  if (!page.user) return;
  // One poll at a time; an action's refresh waits for the poll under way, then asks again.
  while (inFlight) await inFlight;
  inFlight = getState(page.user)
    .then(draw, (e) => toast(`Cannot reach the sandbox: ${e.message}`, 'error'))
    .finally(() => {
      inFlight = null;
    });
  await inFlight;
}

function showTab(tab) {
  page.tab = tab;
  $('tab-messages').setAttribute('aria-selected', String(tab === 'messages'));
  $('tab-home').setAttribute('aria-selected', String(tab === 'home'));
  $('pane-messages').hidden = tab !== 'messages';
  $('pane-home').hidden = tab !== 'home';
  // Opening the Home tab is an app_home_opened event in Slack, every time.
  if (tab === 'home') void call('home', { user: page.user });
}

function switchTo(user) {
  page.user = user;
  page.conversation = null;
  page.drawn = {};
  history.replaceState(null, '', `#${encodeURIComponent(user)}`);
  showTab(page.tab);
  void refresh();
}

async function sendCommand(text) {
  if (!text.trim()) return;
  await call('command', { user: page.user, text: text.trim(), channel: page.conversation ?? undefined });
}

async function start() {
  $('tab-messages').addEventListener('click', () => showTab('messages'));
  $('tab-home').addEventListener('click', () => showTab('home'));
  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('composer-input');
    const text = input.value;
    input.value = '';
    void sendCommand(text);
  });
  $('clock').replaceChildren(clockControls(call));
  // A deactivated person leaves the list: carry on as the first one still there.
  $('slack-admin').replaceChildren(
    slackAdminControls(
      call,
      () => page.user,
      async () => {
        const next = (await getState(page.user).catch(() => null))?.people?.[0]?.id;
        if (next) switchTo(next);
      },
    ),
  );
  $('shortcuts').replaceChildren(
    ...SHORTCUTS.map((s) => el('button', { type: 'button', class: 'shortcut', onclick: () => void sendCommand(s) }, s)),
  );
  if (!page.user) {
    // Nobody chosen yet: the server starts us as its first sample person (the requester).
    page.user = (await getState('').catch((e) => toast(`Cannot reach the sandbox: ${e.message}`, 'error')))?.me ?? null;
  }
  if (page.user) switchTo(page.user);
  setInterval(() => void refresh(), 1000);
}

void start();
