/**
 * Trigger ids (doc §1.3): issued with each command and interaction, exchanged once for a modal
 * within their lifetime (3 s on Slack; `triggerTtlMs` in the options).
 */
import { newTriggerId } from './slack-ids.js';
import { SlackApiError } from './types.js';

export class TriggerIds {
  private readonly issued = new Map<string, { userId: string; expiresAt: number; used: boolean }>();

  constructor(private readonly ttlMs: number) {}

  issue(userId: string): string {
    const id = newTriggerId();
    this.issued.set(id, { userId, expiresAt: Date.now() + this.ttlMs, used: false });
    return id;
  }

  /** Consume a trigger id: expired → `expired_trigger_id`, reused → `exchanged_trigger_id`, unknown → `invalid_trigger_id`. */
  exchange(triggerId: unknown): string {
    const t = typeof triggerId === 'string' ? this.issued.get(triggerId) : undefined;
    if (!t) throw new SlackApiError('invalid_trigger_id');
    if (t.used) throw new SlackApiError('exchanged_trigger_id');
    if (Date.now() > t.expiresAt) throw new SlackApiError('expired_trigger_id');
    t.used = true;
    return t.userId;
  }
}
