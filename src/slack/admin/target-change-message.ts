import type { TargetChange, TargetSnapshot } from '../../domain/outbox.js';
import { userText } from '../mrkdwn.js';

/** Settings whose literal value would be a secret: shown only when they hold a reference (env:…/file:…). */
const SECRET_FIELD = /(token|secret|key|password|admin_url|cert)/i;
const REFERENCE = /^(env|file):/;

function shown(key: string, value: unknown): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // A resource saved before references were enforced may hold a literal: never put it in Slack.
  if (SECRET_FIELD.test(key) && !(typeof value === 'string' && REFERENCE.test(value))) return '(a value, hidden)';
  return `\`${userText(text, 200)}\``;
}

/** "field: before → after" for every setting (and the type) that differs. */
export function targetDiff(before: TargetSnapshot | null, after: TargetSnapshot | null): string[] {
  const lines: string[] = [];
  if (before?.type !== after?.type) lines.push(`provisioner: ${before?.type ?? '(none)'} → ${after?.type ?? '(none)'}`);
  const keys = [...new Set([...Object.keys(before?.settings ?? {}), ...Object.keys(after?.settings ?? {})])].sort();
  for (const key of keys) {
    const a = before?.settings[key];
    const b = after?.settings[key];
    if (JSON.stringify(a) !== JSON.stringify(b)) lines.push(`${key}: ${shown(key, a)} → ${shown(key, b)}`);
  }
  return lines;
}

/** The DM every other admin gets when one admin changes where grants go or with which credentials. */
export function renderTargetChange(change: TargetChange): { text: string } {
  const verb = { created: 'added', updated: 'changed', deleted: 'removed' }[change.change];
  const head = `:rotating_light: <@${change.actorId}> ${verb} the target of resource *${userText(change.resource, 100)}*: where its grants go and with which credentials.`;
  const diff = targetDiff(change.before, change.after).map((l) => `• ${l}`);
  const tail =
    'If you did not expect this, check it in App Home → Resources; the audit trail has the before and after.';
  return { text: [head, ...diff, tail].join('\n') };
}
