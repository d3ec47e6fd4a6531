import { saveSshKey, sshKeyOf } from '../db/grant-queries.js';
import { parsePublicKey } from '../domain/ssh-key.js';
import { newId } from '../db/ids.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { enqueue } from '../db/outbox-queries.js';
import {
  getRequestDetails,
  pendingDecidableBy,
  requestsFromSubmission,
  requestsOf,
  type RequestDetails,
} from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import { decidableFlows, planRequests, requestableResources, type RequestableResource } from '../domain/flow.js';
import { decisionRefusal } from '../domain/request-lifecycle.js';
import {
  formProblems,
  formRules,
  type FormHint,
  MAX_JUSTIFICATION,
  MAX_RESOURCES_PER_REQUEST,
  planProblems,
  type FieldErrors,
} from '../domain/request-form.js';
import { autoApprovalFor, writeAutoApproval } from './auto-approval.js';
import { writeNewRequest } from './grant-writer.js';
import { checkTickets } from './ticket-check.js';
import { findLink } from '../db/identity-queries.js';
import { onCallFindings } from './on-call-checks.js';
import { approverIdentity, approverIdsOf, requesterIdentity, requireMember, mappedEmailOf } from './identity.js';
import { noopMetrics } from './ports.js';
import type { ServiceDeps } from './deps.js';

/** Slack limits and readable approver messages: a request names at most this many resources. */
export { MAX_JUSTIFICATION, MAX_RESOURCES_PER_REQUEST };
/** How many people's requestable lists are kept per catalogue version. */
const MEMO_PEOPLE = 1000;

export interface RequestForm {
  requestable: RequestableResource[];
  preselected: string[];
  /** A name given to `/access request <name>` that this person cannot request. */
  unknownPreselect: string | null;
  /** The durations the flows of the picked resources all offer; nothing picked: any flow of this person's. */
  durations: number[];
  /** The hints of the picked resources' flows, each once (none before anything is picked). */
  justificationHints: FormHint[];
  /** True only when no flow the form speaks for (domain/request-form.ts formRules) asks for a justification. */
  justificationOptional: boolean;
  /** This person may request SSH resources whose certificates need their public key, and has none yet. */
  asksForSshKey: boolean;
  /** Resources whose flow requires a linked company identity, which this person has not linked (empty: none). */
  needLink?: string[];
}

export interface SubmitInput {
  requesterId: string;
  resourceNames: string[];
  durationMinutes: number | null;
  justification: string;
  /** An SSH public key given in the form (saved for later certificates). */
  sshPublicKey?: string;
  /** Scheduled start ("Start at"); null or absent: the access starts at approval. */
  startsAt?: Date | null;
  /**
   * Which form this is (Slack's view id). A form sent again, say after Slack lost the first answer,
   * gets the requests the first one made instead of a second set.
   */
  submissionKey?: string;
}

export type { FieldErrors };
export type SubmitResult = { ok: true; requests: RequestDetails[] } | { ok: false; errors: FieldErrors };

export function createRequestService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  // What each person may request, per catalogue version: the type-ahead asks on every keystroke.
  const requestableMemo = new Map<string, RequestableResource[]>();
  let memoVersion = -1;

  async function requestableFor(userId: string) {
    const { version, flows, resources } = await deps.catalog.snapshot();
    const identity = await requesterIdentity(directory, userId, flows);
    if (version !== memoVersion) {
      requestableMemo.clear();
      memoVersion = version;
    }
    const key = `${userId}|${[...identity.groupIds].sort().join(',')}`;
    let requestable = requestableMemo.get(key);
    if (!requestable) {
      requestable = requestableResources(flows, resources, identity);
      if (requestableMemo.size >= MEMO_PEOPLE) requestableMemo.delete(requestableMemo.keys().next().value!);
      requestableMemo.set(key, requestable);
    }
    return { flows, identity, requestable };
  }

  /**
   * Looks up (without waiting) the approver groups a submit of this form will check for approvers, so
   * the submit, answered within Slack's 3 s, finds them cached instead of asking Slack (directory.ts).
   */
  function warmApprovers(requestable: readonly RequestableResource[]) {
    const flows = new Map(requestable.flatMap((r) => r.flows.map((f) => [f.id, f] as const)));
    for (const flow of flows.values()) void approverIdsOf(directory, flow).catch(() => undefined);
  }

  async function openForm(userId: string, preselect?: string): Promise<RequestForm> {
    const wanted = preselect?.trim().toLowerCase();
    const form = await formFor(userId, wanted ? [wanted] : []);
    return { ...form, unknownPreselect: wanted && form.preselected.length === 0 ? wanted : null };
  }

  /**
   * The form again for what the person has picked so far (the modal is redrawn on each pick): the
   * durations, justification rule and hints of exactly those resources' flows. Names this person cannot
   * request are left out here; the submission refuses them with a sentence.
   */
  async function formFor(userId: string, picked: readonly string[]): Promise<RequestForm> {
    await requireMember(directory, userId);
    const { requestable } = await requestableFor(userId);
    if (requestable.length === 0)
      throw new AppError('nothing_requestable', 'No flow lets this person request anything');
    warmApprovers(requestable);
    const asksForSshKey = requestable.some((r) => needsSshKey(r.resource)) && !(await sshKeyOf(db, userId));
    const chosen = requestable.filter((r) => picked.includes(r.resource.name));
    const linked = requestable.some((r) => r.flows.some((f) => f.identity?.requireLink))
      ? (await findLink(db, userId)) !== null
      : true;
    const rules = formRules(requestable, chosen);
    return {
      needLink: linked
        ? []
        : requestable.filter((r) => r.flows.every((f) => f.identity?.requireLink)).map((r) => r.resource.name),
      requestable,
      preselected: chosen.map((r) => r.resource.name),
      unknownPreselect: null,
      durations: rules.durations,
      asksForSshKey,
      justificationOptional: rules.justificationOptional,
      justificationHints: rules.hints,
    };
  }

  /** Type-ahead over what this person may request (the modal switches to it past Slack's 100 options). */
  async function search(userId: string, query: string, limit = 100): Promise<RequestableResource[]> {
    const { requestable } = await requestableFor(userId);
    const q = query.trim().toLowerCase();
    const score = (r: RequestableResource) =>
      r.resource.name.startsWith(q)
        ? 0
        : r.resource.name.includes(q)
          ? 1
          : r.resource.tags.some((t) => t.includes(q))
            ? 2
            : r.resource.description.toLowerCase().includes(q)
              ? 3
              : 9;
    return requestable
      .map((r) => ({ r, s: score(r) }))
      .filter((x) => x.s < 9)
      .sort((a, b) => a.s - b.s || a.r.resource.name.localeCompare(b.r.resource.name))
      .slice(0, limit)
      .map((x) => x.r);
  }

  /**
   * Validates everything again on the server (the modal is never trusted) and stores one request per
   * flow. Bad input changes nothing and comes back as an error per field.
   */
  async function submit(input: SubmitInput): Promise<SubmitResult> {
    await requireMember(directory, input.requesterId);
    const already = await sentBefore(input);
    if (already) return already;
    const { requestable } = await requestableFor(input.requesterId);
    const names = [...new Set(input.resourceNames)];
    const selection = names.map((n) => requestable.find((r) => r.resource.name === n));
    const justification = input.justification.trim();
    const typedKey = input.sshPublicKey?.trim() ?? '';
    const parsedKey = typedKey ? parsePublicKey(typedKey) : null;
    const startsAt = input.startsAt ?? null;
    const errors: FieldErrors = formProblems({
      names,
      selection,
      justification,
      durationMinutes: input.durationMinutes,
      startsAt,
      now: clock.now(),
    });
    if (typedKey && !parsedKey) errors.sshKey = 'Paste one OpenSSH public key line, like ssh-ed25519 AAAA… you@laptop.';
    else if (
      !parsedKey &&
      selection.some((s) => s && needsSshKey(s.resource)) &&
      !(await sshKeyOf(db, input.requesterId))
    ) {
      errors.sshKey = 'SSH access is signed for your public key: paste it here (your ~/.ssh/id_ed25519.pub).';
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    if (parsedKey) await saveSshKey(db, input.requesterId, parsedKey);

    const plans = planRequests(selection as RequestableResource[]);
    const duration = input.durationMinutes as number;
    Object.assign(errors, planProblems(plans, duration, justification));
    // Flows that require a linked identity (domain/identity-link.ts): an unlinked requester is told how.
    if (plans.some((p) => p.flow.identity?.requireLink) && !(await findLink(db, input.requesterId))) {
      errors.resources = `Link your company identity first: /access link (${plans
        .filter((p) => p.flow.identity?.requireLink)
        .flatMap((p) => p.resources.map((r) => r.name))
        .join(', ')} ${plans.length === 1 && plans[0]!.resources.length === 1 ? 'needs' : 'need'} it).`;
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    // After every other check, so a form with a typo costs no call to Jira.
    const tickets = await checkTickets(
      deps.tickets,
      plans.map((p) => p.flow),
      justification,
      clock.now(),
    );
    if (tickets.problem) return { ok: false, errors: { justification: tickets.problem } };
    const approvers = await Promise.all(
      // The same rule `/access explain` shows (domain/flow.ts approversFor, through domain/who-can.ts).
      plans.map((p) => approverIdsOf(directory, p.flow, input.requesterId)),
    );
    const orphan = plans.findIndex((_, i) => approvers[i]!.length === 0);
    if (orphan >= 0) {
      return {
        ok: false,
        errors: {
          resources: `Nobody but you can approve ${plans[orphan]!.resources.map((r) => r.name).join(', ')}; ask an admin to add approvers.`,
        },
      };
    }

    const now = clock.now();
    const ids = plans.map(() => newId('req'));
    // On-call services are asked before the transaction (never inside it), once per request.
    let email: Promise<string | null> | undefined;
    // The linked, verified company e-mail when there is one (services/identity.ts), else Slack's.
    const emailOf = () => (email ??= mappedEmailOf(db, directory, input.requesterId).catch(() => null));
    const onCall = await Promise.all(
      plans.map((p) =>
        onCallFindings(deps, {
          flow: p.flow,
          resources: p.resources,
          durationMinutes: duration,
          requesterId: input.requesterId,
          requesterEmail: emailOf,
          now,
        }),
      ),
    );
    // A flow's auto-approval rule may grant a request at once (read-only, untuned); the rest wait for people.
    // A ticket Jira could not confirm goes to people, who see the warning, never to a rule.
    const automatic = plans.map((p, i) =>
      tickets.snapshots[i]?.checked === false
        ? null
        : autoApprovalFor(p.flow, p.resources, duration, now, onCall[i]!.onCallRules),
    );
    const requesterEmail = automatic.some(Boolean) ? await emailOf() : null;
    const stored = await db
      .transaction(async (tx) => {
        for (const [i, plan] of plans.entries()) {
          const id = ids[i]!;
          const asked = automatic[i] ? { approvers: [], notes: [] } : onCall[i]!;
          const ticket = tickets.snapshots[i] ?? null;
          await writeNewRequest(tx, {
            row: {
              id,
              requesterId: input.requesterId,
              flowId: plan.flow.id,
              flowName: plan.flow.name,
              status: 'pending',
              justification,
              durationMinutes: duration,
              notifiedApprovers: [...new Set([...approvers[i]!, ...asked.approvers])],
              onCallApprovers: asked.approvers,
              onCallNotes: asked.notes,
              autoApprovedOnCall: automatic[i]?.onCall ?? null,
              approvalsRequired: plan.flow.approvalsRequired,
              notifyChannel: plan.flow.notifyChannel,
              startsAt,
              submissionKey: input.submissionKey ?? null,
              ticket,
              createdAt: now,
            },
            resources: plan.resources.map((r) => ({ resourceId: r.id, name: r.name, type: r.type })),
            created: {
              flow: plan.flow.name,
              resources: plan.resources.map((r) => r.name),
              durationMinutes: duration,
              justification,
              approvers: approvers[i],
              ...(asked.approvers.length ? { onCallApprovers: asked.approvers } : {}),
              ...(asked.notes.length ? { onCallNotes: asked.notes } : {}),
              ...(startsAt ? { startsAt: startsAt.toISOString() } : {}),
              ...(ticket ? { ticket } : {}),
            },
          });
          const approval = automatic[i];
          if (approval)
            await writeAutoApproval(tx, {
              requestId: id,
              requesterId: input.requesterId,
              durationMinutes: duration,
              startsAt,
              flowName: plan.flow.name,
              approval,
              requesterEmail,
              now,
            });
          else await enqueue(tx, [{ topic: 'request.created', requestId: id }]);
        }
        return true;
      })
      .catch(async (error: unknown) => {
        // The same form sent twice at once: the other submission's transaction won.
        if (isUniqueViolation(error, 'access_requests_submission_uq')) return false;
        throw error;
      });
    if (!stored)
      return (
        (await sentBefore(input)) ?? {
          ok: false,
          errors: { resources: 'This form was just sent; check `/access list`.' },
        }
      );
    deps.afterCommit();
    for (const [i, plan] of plans.entries()) {
      metrics.requestOutcome(plan.flow.name, 'submitted');
      if (automatic[i]) metrics.requestOutcome(plan.flow.name, 'auto_approved');
    }
    const created = await Promise.all(ids.map((id) => getRequestDetails(db, id)));
    return { ok: true, requests: created.filter((r): r is RequestDetails => r !== undefined) };
  }

  async function sentBefore(input: SubmitInput): Promise<SubmitResult | null> {
    if (!input.submissionKey) return null;
    const requests = await requestsFromSubmission(db, input.requesterId, input.submissionKey);
    return requests.length > 0 ? { ok: true, requests } : null;
  }

  async function listMine(userId: string, limit = 20): Promise<RequestDetails[]> {
    return requestsOf(db, userId, limit);
  }

  /** Pending requests this person may decide now (authority re-read from the flows, not the snapshot). */
  async function pendingFor(userId: string, limit = 50): Promise<RequestDetails[]> {
    const { flows } = await deps.catalog.snapshot();
    const identity = await approverIdentity(directory, userId, flows);
    const pending = await pendingDecidableBy(db, userId, decidableFlows(flows, identity), limit);
    // The query applies the same rule; the domain stays the authority on who may decide.
    return pending.filter(
      (r) =>
        decisionRefusal(
          flows.find((f) => f.id === r.flowId),
          r.requesterId,
          identity,
          r.escalatedAt !== null,
          r.onCallApprovers,
        ) === null,
    );
  }

  return { openForm, formFor, search, submit, listMine, pendingFor, get: (id: string) => getRequestDetails(db, id) };
}

export type RequestService = ReturnType<typeof createRequestService>;

/** SSH resources provisioned with certificates need the requester's public key. */
const needsSshKey = (r: { type: string; provisioner: { type: string } | null }) =>
  r.type === 'ssh' && r.provisioner?.type === 'ssh';
