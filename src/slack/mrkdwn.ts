/**
 * Helpers for Slack's mrkdwn. User text is escaped before it is placed in mrkdwn, so a justification
 * cannot ping `<!channel>`, mention people, or forge links (Slack: "escape &, < and >").
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to Slack's limits on code points, not UTF-16 units, so an emoji is never split in half. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** User text for mrkdwn: escaped, then cut so that the escaping cannot push it past the limit. */
export function userText(text: string, max: number): string {
  return truncate(escapeMrkdwn(text), max);
}

/** Quote a multi-line text as a mrkdwn block quote. */
export function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
}

export const mention = (userId: string) => `<@${userId}>`;

export const mentionList = (ids: readonly string[]) => (ids.length === 0 ? 'nobody' : ids.map(mention).join(', '));

/** Slack renders this in each reader's own time zone; the fallback is UTC for clients that cannot. */
export function slackDate(at: Date, format = '{date_short_pretty} at {time}'): string {
  const unix = Math.floor(at.getTime() / 1000);
  const fallback = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${unix}^${format}|${fallback}>`;
}

export const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

/**
 * The plain `text` beside a message's blocks (notifications, clients that cannot draw blocks): dates in
 * their fallback form, emoji shortcodes and the code and bold marks removed. A shortcode goes only as a
 * whole word (`:x:` between spaces), so the colon of a value stays: "127.0.0.1:5432", "refused: no role".
 */
export function fallbackText(mrkdwn: string): string {
  return mrkdwn
    .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1')
    .replace(/(^|\s):[a-z0-9_+'-]+:(?=\s|$)\s?/g, '$1')
    .replace(/[`*]/g, '');
}
