import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { formatDuration } from '../domain/duration.js';
import { truncate } from './mrkdwn.js';

/** Small shared builders; every limit here is Slack's (see the Block Kit limits table). */
export const plain = (text: string, max = 3000) => ({
  type: 'plain_text' as const,
  text: truncate(text, max),
  emoji: true,
});
export const md = (text: string, max = 3000) => ({ type: 'mrkdwn' as const, text: truncate(text, max) });

export const section = (text: string): KnownBlock => ({ type: 'section', text: md(text) });
export const context = (text: string): KnownBlock => ({ type: 'context', elements: [md(text)] });
export const divider = (): KnownBlock => ({ type: 'divider' });
export const header = (text: string): KnownBlock => ({ type: 'header', text: plain(text, 150) });

export const option = (text: string, value: string, description?: string): PlainTextOption => ({
  text: plain(text, 75),
  value,
  ...(description ? { description: plain(description, 75) } : {}),
});

export const durationOption = (minutes: number) => option(formatDuration(minutes), String(minutes));

/** A modal that only tells something: no inputs, so no submit button. */
export function messageModal(title: string, text: string): ModalView {
  return { type: 'modal', title: plain(title, 24), close: plain('Close', 24), blocks: [section(text)] };
}
