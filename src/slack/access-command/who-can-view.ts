import type { KnownBlock } from '@slack/types';
import { WEEKDAY_NAMES } from '../../domain/auto-approve.js';
import { formatDuration } from '../../domain/duration.js';
import type {
  AutoApprovalView,
  FlowView,
  LimitsView,
  ManagerView,
  OnBehalfView,
  OnCallView,
  PeopleView,
} from '../../domain/who-can.js';
import type { ExplainResult, WhoCanResult } from '../../services/who-can-service.js';
import { code, fallbackText, mention, userText } from '../mrkdwn.js';
import { managerLine } from '../review/manager-line.js';
import { context, section } from '../views.js';

/**
 * `/access whocan` and `/access explain` (and App Home's modal): one pure renderer each, from the
 * who-can service's answer. Long lists are cut with "and N more" so every section stays far under
 * Slack's 3000 characters, and flows are cut to fit the surface's block limit (50 in a message, 100 in a modal).
 */
const MAX_PEOPLE = 10;
const MAX_GROUPS = 5;

const more = (shown: number, total: number, what = '') => (total > shown ? ` and ${total - shown} more${what}` : '');

function peopleList(ids: readonly string[]): string {
  return ids.slice(0, MAX_PEOPLE).map(mention).join(', ') + more(MAX_PEOPLE, ids.length);
}

/** "<@U1>, @ops (2: <@U2>, <@U3>)": named users, then each group with its members. */
export function peopleText(p: PeopleView, names: Record<string, string>, everyone = false): string {
  const parts = [
    ...(everyone ? ['everyone in the workspace (not guests)'] : []),
    ...(p.users.length ? [peopleList(p.users)] : []),
    ...p.groups.slice(0, MAX_GROUPS).map((g) => {
      const label = names[g.id] ? `@${userText(names[g.id]!, 60)}` : code(g.id);
      return g.members.length ? `${label} (${g.members.length}: ${peopleList(g.members)})` : `${label} (no members)`;
    }),
  ];
  const text = parts.join(' · ') + more(MAX_GROUPS, p.groups.length, ' groups');
  return text || 'nobody';
}

function onCallText(o: OnCallView): string {
  const now =
    o.now.state === 'on_call'
      ? o.now.people.length
        ? `${peopleList(o.now.people)} on call now`
        : 'nobody with a Slack account on call now'
      : o.now.state === 'unavailable'
        ? `could not be asked (${userText(o.now.reason, 100)})`
        : `not asked (${userText(o.now.reason, 100)})`;
  return `${userText(o.label, 120)}: ${now}`;
}

/** "the requester's manager (from Okta), else @alex": who a `manager: true` flow or stage asks. */
export function managerText(m: ManagerView, names: Record<string, string>): string {
  const from = m.sources.length
    ? ` (from ${m.sources.join(', then ')})`
    : ' (no source is set up: the fallback is asked)';
  const fallback = m.fallback.users.length + m.fallback.groups.length > 0 ? peopleText(m.fallback, names) : null;
  return `the requester's manager${from}${fallback ? `, else ${fallback}` : ''}`;
}

/** "@lead may request for @rita": who may ask on someone's behalf, and for whom. */
export function onBehalfText(o: OnBehalfView, names: Record<string, string>): string {
  return `${peopleText(o.requesters, names)} may request for ${o.anyoneInFlow ? 'anyone the flow lets request' : peopleText(o.for, names)}`;
}

export function limitsText(l: LimitsView): string {
  const j = l.justification;
  const parts = [
    `up to ${formatDuration(l.maxDurationMinutes)} (${l.durations.map(formatDuration).join(', ')})`,
    j.required
      ? `justification required${j.minLength ? `, at least ${j.minLength} characters` : ''}${j.pattern ? `, matching ${code(j.pattern)}` : ''}`
      : 'justification optional',
    ...(l.ticketProjects.length ? [`an open Jira issue of ${l.ticketProjects.join(', ')}`] : []),
    ...(l.requireLink ? ['a linked company identity'] : []),
    ...(l.stepUpMinutes !== null ? [`approvers sign in again within ${formatDuration(l.stepUpMinutes)}`] : []),
  ];
  return parts.join(' · ');
}

function windowText(a: AutoApprovalView): string {
  const days =
    a.weekdays.length === 7 ? 'every day' : a.weekdays.map((d) => WEEKDAY_NAMES[d - 1] ?? String(d)).join(', ');
  const hours = a.from === '00:00' && a.to === '24:00' ? 'all day' : `${a.from}–${a.to} ${a.timeZone}`;
  return `${days}, ${hours}`;
}

export function autoApprovalText(a: AutoApprovalView): string {
  if (!a.grantsUntuned) return `rule ${code(a.rule)} never applies here (no safe default grant): people decide`;
  const onCall = a.onCall.length ? `, when the requester is on call on ${a.onCall.join(' or ')}` : '';
  const open = a.openNow === null ? '' : a.openNow ? ' (window open now)' : ' (window closed now)';
  const forOthers = a.onBehalf ? ", also on someone's behalf (checked for the person who gets it)" : '';
  // A request field condition (domain/request-fields.ts): "when severity is sev1 or sev2".
  const fields = Object.entries(a.fields ?? {})
    .map(([name, values]) => `, when ${code(name)} is ${values.map((v) => userText(v, 75)).join(' or ')}`)
    .join('');
  return `rule ${code(a.rule)} approves up to ${formatDuration(a.maxDurationMinutes)}, ${windowText(a)}${onCall}${fields}${forOthers}${open}`;
}

/** A stage's people; a stage of only the manager says so rather than "nobody". */
function stagePeople(s: PeopleView & { manager: ManagerView | null }, names: Record<string, string>): string {
  const named = s.users.length + s.groups.length > 0 ? peopleText(s, names) : null;
  const manager = s.manager ? managerText(s.manager, names) : null;
  return [named, manager].filter(Boolean).join(' and ') || 'nobody';
}

function approversLine(f: FlowView, names: Record<string, string>): string {
  const a = f.approvers;
  const stages = f.stages ?? [];
  const count = (n: number) => (n === 1 ? 'one approval' : `${n} approvals`);
  const lines = [
    stages.length
      ? `*Approval stages:* ${stages.map((s, i) => `${i + 1}. ${userText(s.name, 64)}: ${stagePeople(s, names)} · ${count(s.approvalsRequired)}`).join(' → ')} · self-approval ${a.selfApproval ? 'allowed' : 'not allowed'}`
      : `*Approvers:* ${stagePeople(a, names)} · ${count(a.approvalsRequired)} · self-approval ${a.selfApproval ? 'allowed' : 'not allowed'}`,
    ...a.onCall.map((o) => `*On call:* ${onCallText(o)}`),
    ...(a.escalation
      ? [
          `*Escalation*${a.escalation.afterMinutes ? ` after ${formatDuration(a.escalation.afterMinutes)}` : ''}: ${peopleText(a.escalation, names)}`,
        ]
      : []),
  ];
  return lines.join('\n');
}

function rulesContext(f: FlowView, names: Record<string, string>): KnownBlock[] {
  const lines = [
    ...f.autoApproval.map((a) => `:zap: Auto-approval: ${autoApprovalText(a)}`),
    ...(f.breakGlass
      ? [
          `:rotating_light: Break-glass: ${peopleText(f.breakGlass.people, names)}, up to ${formatDuration(f.breakGlass.maxDurationMinutes)}${f.breakGlass.problem ? ` (${f.breakGlass.problem})` : ''}`,
        ]
      : []),
  ];
  return lines.length ? [context(lines.join('\n'))] : [];
}

function flowBlocks(f: FlowView, names: Record<string, string>): KnownBlock[] {
  const title = `*Flow ${code(f.flow)}*${f.enabled ? '' : ' _(disabled: takes no new requests)_'}${f.description ? ` — ${userText(f.description, 200)}` : ''}`;
  return [
    section(
      [
        title,
        `*Requesters:* ${peopleText(f.requesters, names, f.requesters.everyone)}`,
        ...(f.onBehalf ? [`*On behalf:* ${onBehalfText(f.onBehalf, names)}`] : []),
        approversLine(f, names),
        `*Limits:* ${limitsText(f.limits)}`,
      ].join('\n'),
    ),
    ...rulesContext(f, names),
  ];
}

export interface Rendered {
  text: string;
  blocks: KnownBlock[];
}

/** Who may request a resource and who approves it, flow by flow. `maxBlocks`: 50 for a message, 100 for a modal. */
export function renderWhoCan({ answer, groupNames }: WhoCanResult, maxBlocks = 50): Rendered {
  const r = answer.resource;
  const head = section(
    `*Who can request ${code(r.name)}* (${r.type}${r.tags.length ? ` · ${r.tags.join(', ')}` : ''})${r.description ? `\n${userText(r.description, 300)}` : ''}`,
  );
  if (answer.flows.length === 0) {
    const text = `No flow covers ${code(r.name)}: nobody can request it.`;
    return { text: fallbackText(text), blocks: [head, section(text)] };
  }
  const blocks: KnownBlock[] = [head];
  let shown = 0;
  for (const f of answer.flows) {
    const next = flowBlocks(f, groupNames);
    // Room for the next flow and the closing "and N more flows".
    if (blocks.length + next.length + 1 > maxBlocks) break;
    blocks.push(...next);
    shown += 1;
  }
  if (shown < answer.flows.length) blocks.push(context(`…and ${answer.flows.length - shown} more flows.`));
  const enabled = answer.flows.filter((f) => f.enabled).length;
  return {
    text: `${r.name}: ${enabled} flow${enabled === 1 ? '' : 's'} let people request it.`,
    blocks,
  };
}

function verdict(a: ExplainResult['answer']): string {
  const who = mention(a.userId);
  const what = code(a.resource.name);
  switch (a.decision) {
    case 'not_member':
      return `:no_entry: ${who} cannot request ${what}: ${a.standing === 'guest' ? 'guests' : a.standing === 'bot' ? 'bots' : 'deactivated people'} never can.`;
    case 'no_flow':
      return `:no_entry: ${who} cannot request ${what}: no enabled flow covering it names them as a requester.`;
    case 'no_approver':
      return `:no_entry: ${who} cannot request ${what}: flow ${code(a.flow!.flow)} has nobody but them to approve it (self-approval is not allowed).`;
    case 'approvers':
      return `:white_check_mark: ${who} may request ${what} through flow ${code(a.flow!.flow)}${a.otherFlows.length ? ` (also through ${a.otherFlows.map(code).join(', ')} when picked with other resources)` : ''}.`;
  }
}

/** Whether one person may request a resource, who would approve, the limits, and which rule decides. */
export function renderExplain({ answer: a, groupNames: names }: ExplainResult): Rendered {
  const lines = [verdict(a)];
  if (a.mayRequest && a.flow) {
    const f = a.flow;
    lines.push(
      `*Who would approve${f.stages?.length ? ` first (stage 1 of ${f.stages.length}: ${userText(f.stages[0]!.name, 64)})` : ''}:* ${peopleList(a.approvers)} · ${f.approvers.approvalsRequired === 1 ? 'one approval' : `${f.approvers.approvalsRequired} approvals`} · ${a.isApprover ? (f.approvers.selfApproval ? 'they may approve their own request' : 'they approve this flow but never their own request') : `self-approval ${f.approvers.selfApproval ? 'allowed' : 'not allowed'}`}`,
      ...(a.manager ? [managerLine(a.manager, a.userId)!] : []),
      ...f.approvers.onCall.map((o) => `*Also asked, on call:* ${onCallText(o)}`),
      ...(f.onBehalf ? [`*On behalf:* ${onBehalfText(f.onBehalf, names)}`] : []),
      `*Limits:* ${limitsText(f.limits)}${a.maxDurationMinutes !== null && a.maxDurationMinutes > f.limits.maxDurationMinutes ? ` (up to ${formatDuration(a.maxDurationMinutes)} through another flow)` : ''}`,
    );
  }
  const decides = [
    ...(a.mayRequest
      ? a.autoApproval.map((x) => `:zap: Auto-approval: ${autoApprovalText(x)}; otherwise people decide.`)
      : []),
    ...(a.mayRequest && a.autoApproval.length === 0 ? ['No auto-approval rule covers it: people decide.'] : []),
    ...(a.breakGlass
      ? [
          a.breakGlass.problem
            ? `:rotating_light: Break-glass through flow ${code(a.breakGlass.flow)} cannot grant it: ${a.breakGlass.problem}`
            : `:rotating_light: Break-glass: they may grant themselves up to ${formatDuration(a.breakGlass.maxDurationMinutes)} at once through flow ${code(a.breakGlass.flow)} (approvers review it afterwards).`,
        ]
      : []),
  ];
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  if (decides.length) blocks.push(context(decides.join('\n')));
  return { text: fallbackText(lines[0]!), blocks };
}
