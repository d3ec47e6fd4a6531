import { AUDIT_ACTIONS, type AuditAction } from '../domain/audit-action.js';
import type { StoredEvent } from '../domain/audit-chain.js';
import { chainHash } from '../domain/audit-chain.js';
import { AUDIT_SENTENCES } from './audit-sentences.js';

export interface StoryLine {
  id: number;
  at: Date;
  actor: string;
  action: string;
  /** Plain text (callers escape it for Slack or HTML). */
  summary: string;
  /** This event's hash matches its content and its predecessor's hash. */
  intact: boolean;
}

const isKnown = (action: string): action is AuditAction => (AUDIT_ACTIONS as readonly string[]).includes(action);

/** An event of a kind this version does not know (written by a newer one): its name and plain fields, never JSON. */
function unknownEvent(action: string, d: Record<string, unknown>): string {
  const fields = Object.entries(d)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .slice(0, 8)
    .map(([k, v]) => `${k} ${String(v).slice(0, 80)}`);
  return `recorded ${action}${fields.length ? ` (${fields.join(', ')})` : ''}`;
}

/** The sentence of one event (services/audit-sentences.ts). */
export function sentenceOf(action: string, details: Record<string, unknown>): string {
  if (!isKnown(action)) return unknownEvent(action, details);
  return (AUDIT_SENTENCES[action] as (d: Record<string, unknown>, a: AuditAction) => string)(details, action);
}

/** One line per audit event, in words, for the audit modal and page. */
export function storyOf(events: readonly StoredEvent[]): StoryLine[] {
  return events.map((e) => ({
    id: e.id,
    at: e.createdAt,
    actor: e.actor,
    action: e.action,
    summary: sentenceOf(e.action, e.details),
    intact: chainHash(e.prevHash, e) === e.hash,
  }));
}
