import type { ServerResponse } from 'node:http';
import { isAppError } from '../domain/errors.js';
import type {
  AutoApprovalView,
  ExplainAnswer,
  FlowView,
  ManagerView,
  OnCallView,
  PeopleView,
} from '../domain/who-can.js';
import type { WhoCanService } from '../services/who-can-service.js';
import { requireApiKey, type KeyVerifier } from './api-key-auth.js';
import { sendJson } from './json-response.js';
import type { Route } from './server.js';

/**
 * GET /api/v1/whocan?resource=… and GET /api/v1/explain?user=…&resource=… (docs/api.md): the answers of
 * `/access whocan|explain` as JSON for tooling, behind the same API keys as the authorization API.
 */
const send = sendJson;

const peopleJson = (p: PeopleView) => ({
  users: p.users,
  groups: p.groups.map((g) => ({ id: g.id, members: g.members })),
});

const onCallJson = (o: OnCallView) => ({
  label: o.label,
  ref: o.ref,
  state: o.now.state,
  ...(o.now.state === 'on_call' ? { people: o.now.people } : { reason: o.now.reason }),
});

const managerJson = (m: ManagerView | null) => (m ? { sources: m.sources, fallback: peopleJson(m.fallback) } : null);

const autoJson = (a: AutoApprovalView) => ({
  rule: a.rule,
  max_duration_minutes: a.maxDurationMinutes,
  weekdays: a.weekdays,
  from: a.from,
  to: a.to,
  time_zone: a.timeZone,
  on_call: a.onCall,
  ...(a.fields ? { fields: a.fields } : {}),
  applies: a.grantsUntuned,
  open_now: a.openNow,
  on_behalf: a.onBehalf,
});

export const flowJson = (f: FlowView) => ({
  flow: f.flow,
  enabled: f.enabled,
  requesters: { everyone: f.requesters.everyone, ...peopleJson(f.requesters) },
  approvers: {
    ...peopleJson(f.approvers),
    on_call: f.approvers.onCall.map(onCallJson),
    approvals_required: f.approvers.approvalsRequired,
    self_approval: f.approvers.selfApproval,
    escalation: f.approvers.escalation
      ? { ...peopleJson(f.approvers.escalation), after_minutes: f.approvers.escalation.afterMinutes }
      : null,
    manager: managerJson(f.approvers.manager),
  },
  on_behalf: f.onBehalf
    ? {
        requesters: peopleJson(f.onBehalf.requesters),
        anyone_in_flow: f.onBehalf.anyoneInFlow,
        for: peopleJson(f.onBehalf.for),
      }
    : null,
  stages: (f.stages ?? []).map((s) => ({
    name: s.name,
    ...peopleJson(s),
    approvals_required: s.approvalsRequired,
    manager: managerJson(s.manager),
  })),
  limits: {
    max_duration_minutes: f.limits.maxDurationMinutes,
    durations_minutes: f.limits.durations,
    justification: {
      required: f.limits.justification.required,
      min_length: f.limits.justification.minLength,
      pattern: f.limits.justification.pattern,
      hint: f.limits.justification.hint,
    },
    ticket_projects: f.limits.ticketProjects,
    require_link: f.limits.requireLink,
    step_up_minutes: f.limits.stepUpMinutes,
  },
  auto_approval: f.autoApproval.map(autoJson),
  break_glass: f.breakGlass
    ? {
        ...peopleJson(f.breakGlass.people),
        max_duration_minutes: f.breakGlass.maxDurationMinutes,
        problem: f.breakGlass.problem,
      }
    : null,
});

export const explainJson = (a: ExplainAnswer) => ({
  user: a.userId,
  resource: a.resource,
  may_request: a.mayRequest,
  decision: a.decision,
  standing: a.standing,
  flow: a.flow ? flowJson(a.flow) : null,
  other_flows: a.otherFlows,
  approvers: a.approvers,
  max_duration_minutes: a.maxDurationMinutes,
  auto_approval: a.autoApproval.map(autoJson),
  break_glass: a.breakGlass
    ? { flow: a.breakGlass.flow, max_duration_minutes: a.breakGlass.maxDurationMinutes, problem: a.breakGlass.problem }
    : null,
  is_approver: a.isApprover,
  manager: a.manager,
});

const MAX_PARAM = 320;

function param(url: URL, name: string): string | null {
  const value = url.searchParams.get(name)?.trim();
  return value && value.length <= MAX_PARAM ? value : null;
}

async function answer(res: ServerResponse, work: () => Promise<unknown>) {
  try {
    send(res, 200, await work());
  } catch (error) {
    if (isAppError(error) && error.code === 'not_found')
      return send(res, 404, {
        error: 'not_found',
        message:
          error.details?.reason === 'person' ? 'No Slack user has that id or e-mail.' : 'No resource has that name.',
      });
    throw error;
  }
}

export function whoCanRoutes(service: WhoCanService, keys: KeyVerifier): Route[] {
  return [
    {
      path: '/api/v1/whocan',
      method: 'GET',
      handler: async (req, res, url) => {
        if (!requireApiKey(req, res, keys)) return;
        const resource = param(url, 'resource');
        if (!resource)
          return send(res, 400, { error: 'invalid_request', message: 'Give ?resource= (a resource name).' });
        await answer(res, async () => {
          const { answer: a } = await service.whoCan(null, resource);
          return { resource: a.resource, flows: a.flows.map(flowJson) };
        });
      },
    },
    {
      path: '/api/v1/explain',
      method: 'GET',
      handler: async (req, res, url) => {
        if (!requireApiKey(req, res, keys)) return;
        const user = param(url, 'user');
        const resource = param(url, 'resource');
        if (!user || !resource)
          return send(res, 400, {
            error: 'invalid_request',
            message: 'Give ?user= (a Slack user id or e-mail) and &resource= (a resource name).',
          });
        await answer(res, async () => explainJson((await service.explain(null, user, resource)).answer));
      },
    },
  ];
}
