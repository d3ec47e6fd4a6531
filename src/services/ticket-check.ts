import type { Flow } from '../domain/flow.js';
import {
  ticketKeyIn,
  ticketProblem,
  ticketSnapshot,
  type TicketLookup,
  type TicketSnapshot,
} from '../domain/ticket.js';
import type { TicketTracker } from './ports.js';

export interface TicketCheck {
  /** What the requester is told under the justification field; null: the request may go on. */
  problem: string | null;
  /** Per flow, in the order given: what is stored on the request (null for a flow without a ticket check). */
  snapshots: (TicketSnapshot | null)[];
}

const NOT_CONFIGURED: Omit<Extract<TicketLookup, { reason: 'unavailable' }>, 'key'> = {
  found: false,
  reason: 'unavailable',
  detail: 'Jira is not set up for this bot (JIRA_BASE_URL)',
};

/**
 * Asks the tracker about the ticket each flow's justification must name, once per key, before the
 * request is written: an unknown or done ticket stops it; an unreachable tracker lets it through to the
 * approvers with the warning stored in its snapshot. The key format was already checked (justificationProblem).
 */
export async function checkTickets(
  tracker: TicketTracker | null | undefined,
  flows: readonly Flow[],
  justification: string,
  now: Date,
): Promise<TicketCheck> {
  const asked = new Map<string, Promise<TicketLookup>>();
  const lookups = await Promise.all(
    flows.map((flow) => {
      const projects = flow.justification.jira?.projects ?? [];
      const key = ticketKeyIn(justification, projects);
      if (!key) return null;
      if (!asked.has(key)) asked.set(key, tracker ? tracker.lookup(key) : Promise.resolve({ ...NOT_CONFIGURED, key }));
      return asked.get(key)!.then((lookup) => ({ lookup, projects }));
    }),
  );
  let problem: string | null = null;
  for (const entry of lookups) {
    if (!entry || problem) continue;
    const { lookup, projects } = entry;
    problem = ticketProblem(lookup);
    // Jira answers a moved issue under its new key: a ticket moved out of the flow's projects does not count.
    const project = lookup.key.split('-')[0]!;
    if (!problem && lookup.found && !projects.includes(project))
      problem = `${lookup.key} is in ${project} now, not in ${projects.join(', ')}.`;
  }
  return { problem, snapshots: lookups.map((e) => (e ? ticketSnapshot(e.lookup, now) : null)) };
}
