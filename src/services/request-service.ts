import { saveSshKey, sshKeyOf } from '../db/ssh-key-queries.js';
import { stageFlow } from '../domain/stages.js';
import { parsePublicKey } from '../domain/ssh-key.js';
import { newId } from '../db/ids.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import {
  getRequestDetails,
  pendingDecidableBy,
  requestsFromSubmission,
  requestsOf,
  type RequestDetails,
} from '../db/request-queries.js';
import { decidableFlows, planRequests, type RequestableResource } from '../domain/flow.js';
import { decisionRefusal, type RequestStatus } from '../domain/request-lifecycle.js';
import { SLACK_ORIGIN, type RequestOrigin } from '../domain/request-origin.js';
import {
  formProblems,
  MAX_JUSTIFICATION,
  MAX_RESOURCES_PER_REQUEST,
  planFieldProblems,
  planProblems,
  type FieldErrors,
  type SentFields,
} from '../domain/request-form.js';
import { fieldValuesOf } from '../domain/request-fields.js';
import { fieldPeopleProblems } from './field-people.js';
import { autoApprovalFor } from './auto-approval.js';
import { checkTickets } from './ticket-check.js';
import { findLink } from '../db/identity-queries.js';
import { managerFindings } from './manager-checks.js';
import { onCallFindings } from './on-call-checks.js';
import { approverIdentity, approverIdsOf, requireMember, mappedEmailOf } from './identity.js';
import { noopMetrics } from './ports.js';
import type { ServiceDeps } from './deps.js';
import { createRequestForms, needsSshKey } from './request-forms.js';
import { narrowRuleToRequested, offeredBundle, withBundleDefaults } from './bundle-submit.js';
import { storeCheckedSubmission } from './request-store.js';
export type { RequestForm } from './request-forms.js';

/** Slack limits and readable approver messages: a request names at most this many resources. */
export { MAX_JUSTIFICATION, MAX_RESOURCES_PER_REQUEST };
/** `fields` / `flowFields`: the flows' custom request fields (domain/request-fields.ts), checked again here. */
export interface SubmitInput extends SentFields {
  /** Who sends the form: the requester, or the person asking when `onBehalfOf` names someone else. */
  requesterId: string;
  /** Request for this person (domain/on-behalf.ts): they get the grant; null, absent or oneself: for oneself. */
  onBehalfOf?: string | null;
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
  /** Where it was asked from (default: Slack): kept on the request, shown to approvers, audited. */
  origin?: RequestOrigin;
  /** The bundle picked in the form (domain/bundle.ts): its parts' tuning becomes each request's requested scope. */
  bundleName?: string | null;
  /** The API's pick by name: no resources are the bundle's parts, no duration its own (the form sends both). */
  bundleDefaults?: boolean;
}

export type { FieldErrors };
export type SubmitResult = { ok: true; requests: RequestDetails[] } | { ok: false; errors: FieldErrors };

export function createRequestService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  const { requestableFor, requestableAs, ...forms } = createRequestForms(deps);

  /**
   * Validates everything again on the server (the modal is never trusted) and stores one request per
   * flow. Bad input changes nothing and comes back as an error per field.
   */
  async function submit(sent: SubmitInput): Promise<SubmitResult> {
    await requireMember(directory, sent.requesterId);
    // On behalf: the beneficiary is the request's requester (grant, secrets, notices); the asker is kept
    // as requested_by. Both are checked again here against the live flows, whatever the form showed.
    const askerId = sent.requesterId;
    const onBehalf = sent.onBehalfOf && sent.onBehalfOf !== askerId ? sent.onBehalfOf : null;
    const input: SubmitInput = { ...sent, requesterId: onBehalf ?? askerId };
    const already = await sentBefore(input);
    if (already) return already;
    const { requestable, problem, bundles } = await requestableAs(askerId, onBehalf);
    if (problem) return { ok: false, errors: { onBehalf: problem } };
    const bundle = offeredBundle(bundles, input.bundleName);
    if (input.bundleName && !bundle)
      return { ok: false, errors: { resources: `You cannot request the bundle “${input.bundleName.slice(0, 64)}”.` } };
    const given = [input.resourceNames, input.durationMinutes] as const;
    const asked = withBundleDefaults(input.bundleDefaults ? bundle : null, requestable, ...given);
    const names = [...new Set(asked.names)];
    const selection = names.map((n) => requestable.find((r) => r.resource.name === n));
    const justification = input.justification.trim();
    const typedKey = input.sshPublicKey?.trim() ?? '';
    const parsedKey = typedKey ? parsePublicKey(typedKey) : null;
    const startsAt = input.startsAt ?? null;
    const errors: FieldErrors = formProblems({
      names,
      selection,
      justification,
      durationMinutes: asked.durationMinutes,
      startsAt,
      now: clock.now(),
    });
    if (onBehalf && typedKey) errors.sshKey = 'Only the person who gets the access can add their SSH key.';
    else if (typedKey && !parsedKey)
      errors.sshKey = 'Paste one OpenSSH public key line, like ssh-ed25519 AAAA… you@laptop.';
    else if (
      !parsedKey &&
      selection.some((s) => s && needsSshKey(s.resource)) &&
      !(await sshKeyOf(db, input.requesterId))
    ) {
      errors.sshKey = onBehalf
        ? 'SSH access is signed for their public key: ask them to add it with /access ssh-key first.'
        : 'SSH access is signed for your public key: paste it here (your ~/.ssh/id_ed25519.pub).';
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    if (parsedKey) await saveSshKey(db, input.requesterId, parsedKey);

    const plans = planRequests(selection as RequestableResource[]);
    const duration = asked.durationMinutes as number;
    Object.assign(errors, planProblems(plans, duration, justification));
    const custom = planFieldProblems(plans, input);
    Object.assign(errors, custom.errors);
    if (Object.keys(custom.errors).length === 0)
      Object.assign(errors, await fieldPeopleProblems(directory, plans, custom.values));
    const fieldValues = custom.values.map(fieldValuesOf);
    // Flows that require a linked identity (domain/identity-link.ts): an unlinked requester is told how.
    if (plans.some((p) => p.flow.identity?.requireLink) && !(await findLink(db, input.requesterId))) {
      errors.resources = `${onBehalf ? 'They must link their company identity first' : 'Link your company identity first'}: /access link (${plans
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
    // The requester's manager (domain/manager.ts), looked up before the transaction like on call.
    const managers = await Promise.all(
      plans.map((p) => managerFindings(deps, stageFlow(p.flow, 0), input.requesterId)),
    );
    const approvers = await Promise.all(
      // The same rule `/access explain` shows (domain/flow.ts approversFor, through domain/who-can.ts).
      // With stages, the first stage's approvers are asked now; each later stage's when it begins.
      // Neither the beneficiary nor the person who asked for them is asked to approve it.
      plans.map(async (p, i) =>
        [
          ...new Set([
            ...(await approverIdsOf(directory, stageFlow(p.flow, 0), input.requesterId)),
            ...managers[i]!.approvers,
          ]),
        ].filter((id) => !onBehalf || (id !== askerId && id !== onBehalf)),
      ),
    );
    const orphan = plans.findIndex((_, i) => approvers[i]!.length === 0);
    if (orphan >= 0) {
      return {
        ok: false,
        errors: {
          resources: `Nobody but ${onBehalf ? 'you or the person you ask for' : 'you'} can approve ${plans[orphan]!.resources.map((r) => r.name).join(', ')}; ask an admin to add approvers.`,
        },
      };
    }

    const now = clock.now();
    const origin = input.origin ?? SLACK_ORIGIN;
    const ids = plans.map(() => newId('req'));
    // On-call services are asked before the transaction (never inside it), once per request.
    let email: Promise<string | null> | undefined;
    // The linked, verified company e-mail when there is one (services/identity.ts), else Slack's.
    const emailOf = () => (email ??= mappedEmailOf(db, directory, input.requesterId).catch(() => null));
    const onCall = await Promise.all(
      plans.map((p, i) =>
        onCallFindings(deps, {
          flow: stageFlow(p.flow, 0),
          resources: p.resources,
          durationMinutes: duration,
          fields: fieldValues[i]!,
          requesterId: input.requesterId,
          requesterEmail: emailOf,
          now,
          onBehalf: Boolean(onBehalf),
        }),
      ),
    );
    // A flow's auto-approval rule may grant a request at once (read-only, untuned); the rest wait for people.
    // A ticket Jira could not confirm goes to people, who see the warning, never to a rule.
    const automatic = plans.map((p, i) => {
      const rule =
        tickets.snapshots[i]?.checked === false
          ? null
          : autoApprovalFor(p.flow, p.resources, duration, now, {
              onCallRules: onCall[i]!.onCallRules,
              onBehalf: Boolean(onBehalf),
              fields: fieldValues[i],
            });
      return bundle ? narrowRuleToRequested(rule, bundle, p.resources) : rule;
    });
    const bundleRequestId = bundle ? newId('bdr') : null;
    const requesterEmail = automatic.some(Boolean) ? await emailOf() : null;
    const stored = await db
      .transaction(async (tx) => {
        await storeCheckedSubmission(tx, {
          plans,
          ids,
          requesterId: input.requesterId,
          askerId,
          onBehalf,
          justification,
          durationMinutes: duration,
          startsAt,
          submissionKey: input.submissionKey ?? null,
          origin,
          approvers,
          managers,
          onCall,
          automatic,
          tickets: tickets.snapshots,
          fields: custom.values,
          fieldValues,
          bundle,
          bundleRequestId,
          requesterEmail,
          now,
        });
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

  /** The person's latest requests, newest first (only those in `status` when given). */
  async function listMine(
    userId: string,
    limit = 20,
    status?: RequestStatus,
    includeAsked = false,
  ): Promise<RequestDetails[]> {
    return requestsOf(db, userId, limit, status, includeAsked);
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
          // The current stage, as checkMayDecide asks (its on-call people and manager are the stage's).
          ((f) => f && stageFlow(f, r.stageIndex))(flows.find((f) => f.id === r.flowId)),
          r.requesterId,
          identity,
          r.escalatedAt !== null,
          r.onCallApprovers,
          r.requestedBy ?? null,
        ) === null,
    );
  }

  return { ...forms, requestableFor, submit, listMine, pendingFor, get: (id: string) => getRequestDetails(db, id) };
}

export type RequestService = ReturnType<typeof createRequestService>;
