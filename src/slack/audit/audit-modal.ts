import type { KnownBlock, ModalView } from '@slack/types';
import { formatDuration } from '../../domain/duration.js';
import type { RequestRecord } from '../../services/audit-view-service.js';
import { code, mention, slackDate, truncate, userText } from '../mrkdwn.js';
import { context, plain, section } from '../views.js';

const actorText = (actor: string) => (/^[UW][A-Z0-9]{2,}$/.test(actor) ? mention(actor) : `_${userText(actor, 60)}_`);

/** Lines packed into as few section blocks as fit (3,000 characters each), so long trails stay under 100 blocks. */
function packed(lines: string[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let current = '';
  for (const line of lines) {
    if (current && current.length + line.length + 1 > 2900) {
      blocks.push(section(current));
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push(section(current));
  return blocks.slice(0, 80);
}

/** `/access audit <id>`: the request's whole story in order, and a signed link to the full record. */
export function buildAuditModal(record: RequestRecord, pageUrl: string): ModalView {
  const r = record.request;
  const trail = record.lines.map(
    (l) =>
      `${l.intact ? '•' : ':warning:'} ${slackDate(l.at, '{date_short} {time_secs}')} ${actorText(l.actor)} ${userText(truncate(l.summary, 400), 600)}`,
  );
  const sessions = record.sessions.length
    ? record.sessions.map(
        (s) =>
          `• ${code(s.id)} ${userText(s.resourceName, 64)} from ${userText(s.clientAddress ?? 'unknown', 60)}, ${s.eventCount} commands/queries${s.hasRecording ? ', recorded' : ''}${s.finding ? ` — :rotating_light: ${userText(s.finding, 60)}` : ''}`,
      )
    : ['No sessions reported for this access.'];
  const blocks: KnownBlock[] = [
    section(
      `*${code(r.id)}* · ${mention(r.requesterId)} · ${r.resources.map((x) => code(x.name)).join(', ')} · ${formatDuration(r.durationMinutes)} · *${r.status}*`,
    ),
    ...packed(trail),
    section(`*Sessions (${record.sessions.length})*`),
    ...packed(sessions).slice(0, 10),
    {
      type: 'actions',
      block_id: 'audit.actions',
      elements: [
        { type: 'button', action_id: 'audit.open_page', text: plain('Open the full record', 75), url: pageUrl },
      ],
    },
    context(
      `The link works for 15 minutes. ${record.lines.every((l) => l.intact) ? 'Every event matches its hash.' : ':warning: Some events do not match their hash: run `npm run audit -- verify`.'}`,
    ),
  ];
  return { type: 'modal', title: plain(`Audit ${r.id}`.slice(0, 24), 24), close: plain('Close', 24), blocks };
}
