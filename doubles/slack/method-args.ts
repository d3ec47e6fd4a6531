/**
 * The arguments of each Web API method the double serves, as Slack's method pages list them (platform
 * doc §3.2; slack-ruby/slack-api-ref `methods/**.json`), and the helpers every handler reads them with.
 * Both method tables (fake-slack-methods.ts, fake-slack-views.ts) import from here and nothing imports
 * them back, so the double has no import cycle (import-cycles.test.ts).
 */
import { SlackApiError, type SlackState } from './state.js';

export type Args = Record<string, unknown>;
export type MethodHandler = (st: SlackState, a: Args) => Record<string, unknown>;

/**
 * How an argument is read: form fields arrive as strings, JSON bodies may carry real numbers and
 * booleans. `json` args (blocks, view, attachments, metadata) are decoded by api-request.ts and checked
 * by the method itself, which knows their shape and Slack's error for it.
 */
export type ArgType = 'string' | 'boolean' | 'integer' | 'json';

export interface MethodArgs {
  /** Must be present and non-empty: else `invalid_arguments`, `[ERROR] missing required field: <name>`. */
  required: Record<string, ArgType>;
  optional: Record<string, ArgType>;
}

const MESSAGE_EXTRAS: Record<string, ArgType> = {
  as_user: 'boolean',
  icon_emoji: 'string',
  icon_url: 'string',
  link_names: 'boolean',
  parse: 'string',
  username: 'string',
  markdown_text: 'string',
};

/**
 * Every method's arguments. `team_id` is absent on purpose: Bolt adds it to every call and
 * api-request.ts drops it before a method sees the call (doc §0.8); `token` likewise.
 */
export const METHOD_ARGS: Record<string, MethodArgs> = {
  'auth.test': { required: {}, optional: {} },
  'chat.postMessage': {
    required: { channel: 'string' },
    optional: {
      text: 'string',
      blocks: 'json',
      attachments: 'json',
      metadata: 'json',
      thread_ts: 'string',
      reply_broadcast: 'boolean',
      mrkdwn: 'boolean',
      unfurl_links: 'boolean',
      unfurl_media: 'boolean',
      ...MESSAGE_EXTRAS,
    },
  },
  'chat.update': {
    required: { channel: 'string', ts: 'string' },
    optional: {
      text: 'string',
      blocks: 'json',
      attachments: 'json',
      metadata: 'json',
      reply_broadcast: 'boolean',
      file_ids: 'json',
      ...MESSAGE_EXTRAS,
    },
  },
  'chat.delete': { required: { channel: 'string', ts: 'string' }, optional: { as_user: 'boolean' } },
  'chat.postEphemeral': {
    required: { channel: 'string', user: 'string' },
    optional: { text: 'string', blocks: 'json', attachments: 'json', thread_ts: 'string', ...MESSAGE_EXTRAS },
  },
  'chat.getPermalink': { required: { channel: 'string', message_ts: 'string' }, optional: {} },
  // One of `channel` / `users` is required: the method says which is missing (users_list_not_supplied).
  'conversations.open': {
    required: {},
    optional: { channel: 'string', users: 'string', return_im: 'boolean', prevent_creation: 'boolean' },
  },
  'users.info': { required: { user: 'string' }, optional: { include_locale: 'boolean' } },
  'users.list': { required: {}, optional: { cursor: 'string', limit: 'integer', include_locale: 'boolean' } },
  'users.lookupByEmail': { required: { email: 'string' }, optional: {} },
  'users.profile.get': { required: {}, optional: { user: 'string', include_labels: 'boolean' } },
  'team.profile.get': { required: {}, optional: { visibility: 'string' } },
  // No cursor: Slack's usergroups.list is not paginated, it answers every group at once.
  'usergroups.list': {
    required: {},
    optional: { include_count: 'boolean', include_disabled: 'boolean', include_users: 'boolean' },
  },
  'usergroups.users.list': { required: { usergroup: 'string' }, optional: { include_disabled: 'boolean' } },
  // One of `trigger_id` / `interactivity_pointer` is required: the view methods check it.
  'views.open': { required: { view: 'json' }, optional: { trigger_id: 'string', interactivity_pointer: 'string' } },
  'views.push': { required: { view: 'json' }, optional: { trigger_id: 'string', interactivity_pointer: 'string' } },
  'views.update': {
    required: { view: 'json' },
    optional: { view_id: 'string', external_id: 'string', hash: 'string' },
  },
  'views.publish': { required: { user_id: 'string', view: 'json' }, optional: { hash: 'string' } },
};

export function invalidArgs(messages: string[]): SlackApiError {
  return new SlackApiError('invalid_arguments', { response_metadata: { messages } });
}

function typeProblem(type: ArgType, v: unknown): string | null {
  switch (type) {
    case 'string':
      return typeof v === 'string' || typeof v === 'number' ? null : 'expected string';
    case 'boolean':
      return typeof v === 'boolean' || v === 'true' || v === 'false' || v === '1' || v === '0' || v === 1 || v === 0
        ? null
        : 'expected boolean';
    case 'integer':
      return (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v))
        ? null
        : 'expected integer';
    case 'json':
      return null;
  }
}

/**
 * Slack's own first check of a call: every required argument present, every argument of its type.
 * Stricter than Slack in one way, on purpose: an argument the method does not know is refused
 * (`[ERROR] unknown field: <name>`), where Slack drops it silently and a misspelt `thread_ts` would
 * post outside the thread in a real workspace.
 */
export function checkArgs(method: string, a: Args): void {
  const spec = METHOD_ARGS[method];
  if (!spec) return;
  // "The method was passed an array as an argument. Please only input valid strings." (api-ref)
  const all = { ...spec.required, ...spec.optional };
  if (Object.entries(a).some(([name, v]) => all[name] === 'string' && Array.isArray(v)))
    throw new SlackApiError('invalid_array_arg');
  const messages: string[] = [];
  for (const [name, type] of Object.entries(spec.required)) {
    const v = a[name];
    if (v === undefined || v === null || v === '') messages.push(`[ERROR] missing required field: ${name}`);
    else {
      const problem = typeProblem(type, v);
      if (problem) messages.push(`[ERROR] ${problem} [json-pointer:/${name}]`);
    }
  }
  for (const [name, v] of Object.entries(a)) {
    if (name in spec.required) continue;
    const type = spec.optional[name];
    if (type === undefined) messages.push(`[ERROR] unknown field: ${name}`);
    else if (v !== undefined && v !== '') {
      const problem = typeProblem(type, v);
      if (problem) messages.push(`[ERROR] ${problem} [json-pointer:/${name}]`);
    }
  }
  if (messages.length > 0) throw invalidArgs(messages);
}

/** Form fields arrive as strings ("true"/"1"); JSON bodies may carry real booleans. */
export function flag(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
