/** The id formats Slack uses for views, view hashes and trigger ids (message ts: SlackState.nextTs). */
import { randomBytes } from 'node:crypto';

/** Slack-looking ids: prefix + 10 upper-case alphanumerics (e.g. "V1234567890"). */
export function newId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(10);
  return prefix + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** View hash, format "1596530361.3wRYuk3R" (doc §2.4). */
export function newViewHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(6)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 8)}`;
}

/** Trigger id shaped like Slack's: "<ms><digit>.<10 digits>.<32 hex>". */
export function newTriggerId(): string {
  return `${Date.now()}${randomBytes(1)[0]! % 10}.${1000000000 + (randomBytes(3).readUIntBE(0, 3) % 9000000000)}.${randomBytes(16).toString('hex')}`;
}
