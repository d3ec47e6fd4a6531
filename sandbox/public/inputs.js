// Widgets for Block Kit's stateful elements. Each starts from the element's state entry (what the
// double holds, so input survives a re-draw) and reports what the person chose as the driver's
// `Picked` value: a string, a list of strings, or null for empty.
import { el, uid } from './dom.js';

const optionsOf = (e) => e.options ?? (e.option_groups ?? []).flatMap((g) => g.options ?? []);
const optionText = (o) => o?.text?.text ?? o?.value ?? '';

function selectOptions(e, selectedValues, placeholder) {
  const make = (o) =>
    el(
      'option',
      { value: o.value, selected: selectedValues.includes(o.value) },
      o.description?.text ? `${optionText(o)} · ${o.description.text}` : optionText(o),
    );
  const list = e.option_groups
    ? e.option_groups.map((g) => el('optgroup', { label: g.label?.text ?? '' }, (g.options ?? []).map(make)))
    : optionsOf(e).map(make);
  return placeholder === undefined
    ? list
    : [el('option', { value: '', selected: selectedValues.length === 0 }, placeholder), ...list];
}

/**
 * What a multiple <select> has picked, as Slack's chips show it: a long list scrolled to its first pick
 * would hide the others (a bundle fills in several resources at once).
 */
function pickedLine(select) {
  const line = el('div', { class: 'picked', 'aria-live': 'polite' });
  const draw = () => {
    const names = [...select.selectedOptions].map((o) => o.textContent.split(' · ')[0]);
    line.replaceChildren(...(names.length ? [`Picked: ${names.join(', ')}`] : []));
  };
  select.addEventListener('change', draw);
  return { line, draw };
}

/** A <select> (single or multiple) over `choices` [{value, text}]; discrete changes are sent at once. */
function selectWidget(id, choices, selected, multi, placeholder, onPick) {
  const select = el(
    'select',
    { id, multiple: multi, size: multi ? Math.min(Math.max(choices.length, 2), 6) : undefined },
    multi ? [] : el('option', { value: '', selected: selected.length === 0 }, placeholder ?? 'Choose…'),
    choices.map((c) => el('option', { value: c.value, selected: selected.includes(c.value) }, c.text)),
  );
  const picked = multi ? pickedLine(select) : null;
  const w = {
    node: picked ? el('div', { class: 'multi-select' }, select, picked.line) : select,
    select,
    id,
    dirty: false,
    read: () => (multi ? [...select.selectedOptions].map((o) => o.value).filter(Boolean) : select.value || null),
    redrawPicked: () => picked?.draw(),
  };
  picked?.draw();
  select.addEventListener('change', () => {
    w.dirty = true;
    onPick(w);
  });
  return w;
}

function textWidget(e, entry, id) {
  const common = { id, placeholder: e.placeholder?.text, maxlength: e.max_length, minlength: e.min_length };
  let node;
  if (e.type === 'plain_text_input' && e.multiline) node = el('textarea', { ...common, rows: 4 });
  else if (e.type === 'number_input')
    node = el('input', {
      ...common,
      type: 'number',
      step: e.is_decimal_allowed ? 'any' : '1',
      min: e.min_value,
      max: e.max_value,
    });
  else node = el('input', { ...common, type: { email_text_input: 'email', url_text_input: 'url' }[e.type] ?? 'text' });
  node.value = entry?.value ?? '';
  const w = { node, id, dirty: false, read: () => (node.value === '' ? null : node.value) };
  node.addEventListener('input', () => {
    w.dirty = true;
  });
  return w;
}

function choiceGroup(e, entry, id, multi, onPick, textHtml) {
  const selected = multi
    ? (entry?.selected_options ?? []).map((o) => o.value)
    : [entry?.selected_option?.value].filter(Boolean);
  const name = uid('group');
  const boxes = optionsOf(e).map((o) => {
    const input = el('input', {
      type: multi ? 'checkbox' : 'radio',
      name,
      value: o.value,
      checked: selected.includes(o.value),
      id: uid('opt'),
    });
    return el(
      'label',
      { class: 'choice', for: input.id },
      input,
      el('span', { html: textHtml(o.text) }),
      o.description ? el('small', { html: textHtml(o.description) }) : null,
    );
  });
  const node = el('div', { class: 'choices', id }, boxes);
  const inputs = () => [...node.querySelectorAll('input')];
  const w = {
    node,
    id,
    dirty: false,
    group: true,
    read: () => {
      const on = inputs()
        .filter((i) => i.checked)
        .map((i) => i.value);
      return multi ? on : (on[0] ?? null);
    },
  };
  node.addEventListener('change', () => {
    w.dirty = true;
    onPick(w);
  });
  return w;
}

/** External selects: type to ask the bot for options (block_suggestion through the driver). */
function typeahead(e, entry, id, multi, ctx) {
  let selected = multi ? [...(entry?.selected_options ?? [])] : entry?.selected_option ? [entry.selected_option] : [];
  const min = typeof e.min_query_length === 'number' ? e.min_query_length : 3;
  const chips = el('div', { class: 'chips' });
  const search = el('input', {
    id,
    type: 'text',
    autocomplete: 'off',
    role: 'combobox',
    placeholder: e.placeholder?.text ?? (min > 0 ? `Type ${min}+ characters to search` : 'Type to search'),
  });
  const list = el('ul', { class: 'suggestions', role: 'listbox' });
  let seq = 0;
  let timer;
  const w = { node: el('div', { class: 'typeahead' }, chips, search, list), id, dirty: false };
  const draw = () =>
    chips.replaceChildren(
      ...selected.map((o) =>
        el(
          'span',
          { class: 'chip' },
          optionText(o),
          el('button', { type: 'button', 'aria-label': `Remove ${optionText(o)}`, onclick: () => remove(o) }, '×'),
        ),
      ),
    );
  const changed = () => {
    w.dirty = true;
    draw();
    ctx.onPick(w);
  };
  const remove = (o) => {
    selected = selected.filter((x) => x.value !== o.value);
    changed();
  };
  const pick = (o) => {
    if (multi) {
      if (selected.some((x) => x.value === o.value)) return;
      if (typeof e.max_selected_items === 'number' && selected.length >= e.max_selected_items)
        return ctx.notify(`At most ${e.max_selected_items} can be picked.`);
      selected.push(o);
    } else selected = [o];
    search.value = '';
    list.replaceChildren();
    changed();
  };
  const lookup = async () => {
    const query = search.value;
    if (query.length < min) return list.replaceChildren(el('li', { class: 'hint' }, `Type at least ${min} characters`));
    const mine = ++seq;
    const options = await ctx.suggest(e.action_id, query);
    if (mine !== seq) return;
    list.replaceChildren(
      ...(options.length === 0
        ? [el('li', { class: 'hint' }, 'No matches')]
        : options.map((o) =>
            el(
              'li',
              {
                role: 'option',
                tabindex: '-1',
                onmousedown: (ev) => {
                  ev.preventDefault();
                  pick(o);
                },
              },
              optionText(o),
            ),
          )),
    );
  };
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, 200);
  });
  search.addEventListener('focus', () => void lookup());
  search.addEventListener('blur', () => setTimeout(() => list.replaceChildren(), 150));
  w.read = () => (multi ? selected.map((o) => o.value) : (selected[0]?.value ?? null));
  draw();
  return w;
}

/**
 * The widget for a stateful element, or null when the sandbox has none (the caller then shows JSON).
 * ctx: { pickers, textHtml, onPick(widget), suggest(actionId, query), notify(text) }.
 */
export function createWidget(e, entry, ctx) {
  const id = uid('in');
  const onPick = ctx.onPick;
  switch (e.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input':
      return textWidget(e, entry, id);
    case 'static_select':
    case 'multi_static_select': {
      const multi = e.type.startsWith('multi_');
      const selected = multi
        ? (entry?.selected_options ?? []).map((o) => o.value)
        : [entry?.selected_option?.value].filter(Boolean);
      const w = selectWidget(id, [], selected, multi, e.placeholder?.text, onPick);
      w.select.replaceChildren(...selectOptions(e, selected, multi ? undefined : (e.placeholder?.text ?? 'Choose…')));
      if (multi) w.select.size = Math.min(Math.max(optionsOf(e).length, 2), 6);
      w.redrawPicked();
      return w;
    }
    case 'users_select':
    case 'multi_users_select': {
      const multi = e.type.startsWith('multi_');
      const selected = multi ? (entry?.selected_users ?? []) : [entry?.selected_user].filter(Boolean);
      return selectWidget(
        id,
        ctx.pickers.users.map((u) => ({ value: u.id, text: u.name })),
        selected,
        multi,
        e.placeholder?.text,
        onPick,
      );
    }
    case 'conversations_select':
    case 'multi_conversations_select':
    case 'channels_select':
    case 'multi_channels_select': {
      const multi = e.type.startsWith('multi_');
      const key = e.type.includes('channels')
        ? multi
          ? 'selected_channels'
          : 'selected_channel'
        : multi
          ? 'selected_conversations'
          : 'selected_conversation';
      const selected = multi ? (entry?.[key] ?? []) : [entry?.[key]].filter(Boolean);
      return selectWidget(
        id,
        ctx.pickers.conversations.map((c) => ({ value: c.id, text: c.name })),
        selected,
        multi,
        e.placeholder?.text,
        onPick,
      );
    }
    case 'checkboxes':
      return choiceGroup(e, entry, id, true, onPick, ctx.textHtml);
    case 'radio_buttons':
      return choiceGroup(e, entry, id, false, onPick, ctx.textHtml);
    case 'external_select':
      return typeahead(e, entry, id, false, ctx);
    case 'multi_external_select':
      return typeahead(e, entry, id, true, ctx);
    case 'datepicker':
    case 'timepicker': {
      const node = el('input', { id, type: e.type === 'datepicker' ? 'date' : 'time' });
      node.value = entry?.selected_date ?? entry?.selected_time ?? '';
      const w = { node, id, dirty: false, read: () => node.value || null };
      node.addEventListener('change', () => {
        w.dirty = true;
        onPick(w);
      });
      return w;
    }
    case 'datetimepicker': {
      // Slack's value is Unix seconds; the browser's input works in local "YYYY-MM-DDTHH:MM".
      const node = el('input', { id, type: 'datetime-local' });
      const initial = entry?.selected_date_time;
      if (typeof initial === 'number') {
        const d = new Date(initial * 1000);
        node.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
      }
      const w = {
        node,
        id,
        dirty: false,
        read: () => (node.value ? String(Math.floor(new Date(node.value).getTime() / 1000)) : null),
      };
      node.addEventListener('change', () => {
        w.dirty = true;
        onPick(w);
      });
      return w;
    }
    default:
      return null;
  }
}
