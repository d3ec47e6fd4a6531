/**
 * Ticket-checked justification: a flow may require a Jira issue key in the justification that exists and
 * is not done. Pure: the lookup itself is an adapter (integrations/jira.ts) behind the TicketTracker port.
 */

/** Jira project keys: a capital letter, then capitals, digits or underscores (Jira's default rule), up to 10. */
export const PROJECT_KEY = /^[A-Z][A-Z0-9_]{0,9}$/;

/** What the tracker said about one key, at request time. `category` is Jira's status category key. */
export type TicketLookup =
  | {
      found: true;
      key: string;
      title: string;
      status: string;
      category: 'new' | 'indeterminate' | 'done' | 'undefined';
      url: string;
    }
  | { found: false; key: string; reason: 'missing' }
  | { found: false; key: string; reason: 'unavailable'; detail: string };

/** The snapshot stored on the request and in its audit row: what the approvers saw, as it was then. */
export type TicketSnapshot =
  | { key: string; checked: true; title: string; status: string; category: string; url: string; checkedAt: string }
  | { key: string; checked: false; reason: string; checkedAt: string };

/**
 * The first issue key of an allowed project in the text, read as a whole word ("INC-12", not "XINC-12"
 * nor "INC-12a"). Only keys of `projects` count, so "EVIL-1" in the text proves nothing.
 */
export function ticketKeyIn(text: string, projects: readonly string[]): string | null {
  if (projects.length === 0) return null;
  const pattern = new RegExp(`(?<![A-Za-z0-9_-])(${projects.join('|')})-([1-9][0-9]{0,8})(?![A-Za-z0-9_-])`, 'g');
  const m = pattern.exec(text);
  return m ? `${m[1]}-${m[2]}` : null;
}

/** "Include an open Jira ticket from INC or OPS, like INC-123.": the form's hint and the error alike. */
export function ticketHint(projects: readonly string[]): string {
  const list = projects.length > 1 ? `${projects.slice(0, -1).join(', ')} or ${projects.at(-1)}` : projects[0];
  return `Include an open Jira ticket from ${list}, like ${projects[0]}-123.`;
}

/** The sentence under the justification field when no usable key is there; null when one is. */
export function missingKeyProblem(text: string, projects: readonly string[]): string | null {
  return ticketKeyIn(text, projects) ? null : ticketHint(projects);
}

/**
 * What the requester is told about the ticket they named, or null when it may go ahead: an unknown or
 * done ticket stops the request; a tracker that cannot be reached does not (the approvers are warned).
 */
export function ticketProblem(lookup: TicketLookup): string | null {
  if (!lookup.found)
    return lookup.reason === 'missing' ? `${lookup.key} is not a Jira ticket I can find. Check the key.` : null;
  if (lookup.category === 'done') return `${lookup.key} is ${lookup.status}: name a ticket that is still open.`;
  return null;
}

export function ticketSnapshot(lookup: TicketLookup, at: Date): TicketSnapshot {
  const checkedAt = at.toISOString();
  if (lookup.found)
    return {
      key: lookup.key,
      checked: true,
      title: lookup.title.slice(0, 255),
      status: lookup.status.slice(0, 64),
      category: lookup.category,
      url: lookup.url,
      checkedAt,
    };
  return {
    key: lookup.key,
    checked: false,
    reason: lookup.reason === 'unavailable' ? lookup.detail.slice(0, 200) : 'missing',
    checkedAt,
  };
}
