import { formatDuration } from '../domain/duration.js';
import { describeGrant } from '../domain/policy.js';
import type { RequestRecord, SessionDetail } from '../services/audit-view-service.js';

const esc = (text: unknown) =>
  String(text ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const time = (d: Date | null) =>
  d ? `<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 19)} UTC</time>` : '—';

function sessionHtml(s: SessionDetail, castUrl: string | null): string {
  const events = s.events.length
    ? `<table class="events"><thead><tr><th>When</th><th>Kind</th><th>Command or query</th></tr></thead><tbody>${s.events
        .map((e) => `<tr><td>${time(e.at)}</td><td>${esc(e.kind)}</td><td><code>${esc(e.text)}</code></td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted">No commands or queries were reported.</p>';
  return `<section class="session" id="${esc(s.id)}">
  <h3>Session <code>${esc(s.id)}</code>${s.finding ? ` <span class="finding">finding: ${esc(s.finding)}</span>` : ''}</h3>
  <p>${esc(s.userId)} on <code>${esc(s.resourceName)}</code> from ${esc(s.clientAddress ?? 'an unknown address')} · ${time(s.startedAt)} → ${time(s.endedAt)} · source: ${esc(s.source)}</p>
  ${castUrl ? `<div class="cast" data-src="${esc(castUrl)}" aria-label="Terminal recording of ${esc(s.id)}"></div>` : ''}
  ${events}
</section>`;
}

/** The full record of one request: the trail, the granted policy, and each session with its replay. */
export function renderAuditPage(
  record: RequestRecord,
  sessions: SessionDetail[],
  castUrl: (sessionId: string) => string,
  assets: { js: string; css: string },
): string {
  const r = record.request;
  const policy = r.grant
    ? `<ul>${r.grant.policy.resources.map((g) => `<li>${esc(describeGrant(g))}</li>`).join('')}</ul><p>For ${esc(formatDuration(r.grant.policy.durationMinutes))}, from ${time(r.grant.startsAt)} until ${time(r.grant.expiresAt)}${r.grant.endedAt ? `, ended ${time(r.grant.endedAt)}` : ''}.</p>`
    : '<p class="muted">Nothing was granted.</p>';
  const trail = record.lines
    .map(
      (l) =>
        `<tr class="${l.intact ? '' : 'broken'}"><td>${l.id}</td><td>${time(l.at)}</td><td>${esc(l.actor)}</td><td>${esc(l.action)}</td><td>${esc(l.summary)}${l.intact ? '' : ' <strong>(does not match its hash)</strong>'}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Audit ${esc(r.id)}</title>
<link rel="stylesheet" href="${esc(assets.css)}">
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d1c1d; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
  th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #ddd; }
  tr.broken td { background: #fde8e8; }
  code { font-family: ui-monospace, monospace; font-size: 90%; }
  .muted { color: #616061; } .finding { color: #b00020; font-size: 80%; }
  .cast { margin: .75rem 0; max-width: 60rem; }
</style>
</head>
<body>
<h1>Access request <code>${esc(r.id)}</code></h1>
<p>${esc(r.requesterId)} asked for ${r.resources.map((x) => `<code>${esc(x.name)}</code> (${esc(x.type)})`).join(', ')} for ${esc(formatDuration(r.durationMinutes))} through flow <code>${esc(r.flowName)}</code>, ${time(r.createdAt)}. Status: <strong>${esc(r.status)}</strong>.</p>
<blockquote>${esc(r.justification)}</blockquote>
<h2>Granted policy</h2>
${policy}
<h2>Audit trail</h2>
<table class="trail"><thead><tr><th>#</th><th>When</th><th>Who</th><th>What</th><th>Details</th></tr></thead><tbody>${trail}</tbody></table>
<h2>Sessions (${sessions.length})</h2>
${sessions.length ? sessions.map((s) => sessionHtml(s, s.hasRecording ? castUrl(s.id) : null)).join('\n') : '<p class="muted">No sessions were reported for this access.</p>'}
<script src="${esc(assets.js)}"></script>
<script>
  for (const el of document.querySelectorAll('.cast')) {
    window.players = window.players || [];
    window.players.push(AsciinemaPlayer.create(el.dataset.src, el, { fit: 'width', idleTimeLimit: 2 }));
  }
</script>
</body>
</html>`;
}

export function renderLinkProblem(reason: 'expired' | 'invalid'): string {
  const text =
    reason === 'expired'
      ? 'This link has expired. Ask for a new one with /access audit in Slack.'
      : 'This link is not valid.';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Audit</title></head><body><p>${text}</p></body></html>`;
}
