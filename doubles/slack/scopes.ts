import { parse as parseYaml } from 'yaml';

/**
 * The bot scopes each Web API method accepts (any one of them will do), from Slack's method pages
 * (platform doc §3.2). A method with no entry needs no scope. The double refuses a call whose token
 * holds none of them with `missing_scope`, as Slack does, so a scope missing from manifest.yml fails
 * the tests instead of a real workspace.
 */
export const METHOD_SCOPES: Record<string, readonly string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.getPermalink': [],
  'conversations.open': ['im:write', 'channels:manage', 'groups:write', 'mpim:write'],
  'users.info': ['users:read'],
  'users.list': ['users:read'],
  'users.lookupByEmail': ['users:read.email'],
  'users.profile.get': ['users.profile:read'],
  'team.profile.get': ['users.profile:read'],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
  'views.open': [],
  'views.push': [],
  'views.update': [],
  'views.publish': [],
};

/** Without it Slack leaves `profile.email` out of users.info and users.list (the method page says so). */
export const EMAIL_SCOPE = 'users:read.email';

/** `oauth_config.scopes.bot` of a Slack app manifest (YAML or JSON text). */
export function manifestBotScopes(manifestText: string): string[] {
  const manifest = parseYaml(manifestText) as { oauth_config?: { scopes?: { bot?: unknown } } } | null;
  const bot = manifest?.oauth_config?.scopes?.bot;
  return Array.isArray(bot) ? bot.map(String) : [];
}

/** The scope check of one call: null when allowed, else the `missing_scope` answer's extra fields. */
export function missingScope(
  method: string,
  granted: ReadonlySet<string> | null,
): { needed: string; provided: string } | null {
  const accepted = METHOD_SCOPES[method] ?? [];
  if (granted === null || accepted.length === 0 || accepted.some((s) => granted.has(s))) return null;
  return { needed: accepted.join(','), provided: [...granted].join(',') };
}

/** `features.app_home` of a manifest: which App Home tabs Slack shows (both off when the manifest says nothing). */
export function manifestAppHome(manifestText: string): { homeTab: boolean; messagesTab: boolean } {
  const manifest = parseYaml(manifestText) as {
    features?: { app_home?: { home_tab_enabled?: unknown; messages_tab_enabled?: unknown } };
  } | null;
  const home = manifest?.features?.app_home;
  return { homeTab: home?.home_tab_enabled === true, messagesTab: home?.messages_tab_enabled === true };
}
