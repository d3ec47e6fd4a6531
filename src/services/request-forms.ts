import type { CatalogSnapshot } from '../domain/catalog.js';
import { findLink } from '../db/identity-queries.js';
import { sshKeyOf } from '../db/ssh-key-queries.js';
import { AppError } from '../domain/errors.js';
import { requestableResources, type RequestableResource } from '../domain/flow.js';
import { formRules, type FormFieldGroup, type FormHint } from '../domain/request-form.js';
import { bundlesFor, type BundleOffer } from '../domain/bundle.js';
import { bundleSelection, offeredBundle } from './bundle-submit.js';
import type { ServiceDeps } from './deps.js';
import { approverIdsOf, requesterIdentity, requireMember } from './identity.js';
import { flowsToAskOnBehalf, requestableOnBehalf } from './on-behalf.js';

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
  /** The custom fields of the picked resources' flows (domain/request-fields.ts); absent or empty: none. */
  fieldGroups?: FormFieldGroup[];
  /** This person may request SSH resources whose certificates need their public key, and has none yet. */
  asksForSshKey: boolean;
  /** Resources whose flow requires a linked company identity, which this person has not linked (empty: none). */
  needLink?: string[];
  /** Some flow lets this person request on behalf of others: the form shows a "For" picker (nobody else sees it). */
  mayActForOthers?: boolean;
  /** The person picked in "For" (null: themselves); what the form offers is what this person may get. */
  forUser?: string | null;
  /** Why the form offers nothing for `forUser` (shown under the picker; the submission refuses it too). */
  forProblem?: string | null;
  /** The bundles this person may pick (none on behalf of someone else); the form shows "Bundle" only with some. */
  bundles?: { name: string; description: string }[];
  /**
   * The bundle picked: its parts the person cannot request (named, left out), and when it was just picked
   * the duration to choose (the form then redraws its resources and duration fields afresh).
   */
  bundle?: { name: string; leftOut: string[]; durationMinutes: number | null; fresh: boolean } | null;
}

/** A bundle as the form's picker sent it: `fresh` when this very pick chose it (its parts replace the picks). */
export interface BundlePickInput {
  name: string;
  fresh: boolean;
}

/**
 * The request form's side of requesting: what a person may request (memoised per catalogue version: the
 * type-ahead asks on every keystroke), the form for what they picked so far, and the type-ahead itself.
 */
export function createRequestForms(deps: ServiceDeps) {
  const { db, directory } = deps;

  // What each person may request, per catalogue version: the type-ahead asks on every keystroke.
  const requestableMemo = new Map<string, RequestableResource[]>();
  let memoVersion = -1;

  /** `snapshot`: the catalogue a caller already read (one version check per form or submission, not two). */
  async function requestableFor(userId: string, given?: CatalogSnapshot) {
    const snapshot = given ?? (await deps.catalog.snapshot());
    const { version, flows, resources } = snapshot;
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
    return { flows, identity, requestable, bundles: bundlesFor(snapshot?.bundles ?? [], requestable, identity) };
  }

  /**
   * Looks up (without waiting) the approver groups a submit of this form will check for approvers, so
   * the submit, answered within Slack's 3 s, finds them cached instead of asking Slack (directory.ts).
   */
  function warmApprovers(requestable: readonly RequestableResource[]) {
    const flows = new Map(requestable.flatMap((r) => r.flows.map((f) => [f.id, f] as const)));
    for (const flow of flows.values()) void approverIdsOf(directory, flow).catch(() => undefined);
  }

  /**
   * What `askerId` may request for `forUser` (themselves when null or their own id), and whether they may
   * act for others at all. Re-asked on every submission: the form is never trusted.
   */
  async function requestableAs(askerId: string, forUser: string | null) {
    const snapshot = await deps.catalog.snapshot();
    const { flows, resources } = snapshot;
    const mayActForOthers = (await flowsToAskOnBehalf(directory, askerId, flows)).flows.length > 0;
    if (!forUser || forUser === askerId)
      return { mayActForOthers, beneficiary: askerId, ...(await requestableFor(askerId, snapshot)), problem: null };
    const answer = await requestableOnBehalf(directory, flows, resources, askerId, forUser);
    return {
      mayActForOthers,
      beneficiary: forUser,
      requestable: answer.ok ? answer.requestable : [],
      // Bundles are for oneself (docs/limits.md): on behalf, the form offers resources only.
      bundles: [] as BundleOffer[],
      problem: answer.ok ? null : answer.problem,
    };
  }

  async function openForm(userId: string, preselect?: string): Promise<RequestForm> {
    const wanted = preselect?.trim().toLowerCase();
    // `/access request bundle:incident-responder` opens the form with the bundle picked.
    const bundle = wanted?.startsWith('bundle:') ? { name: wanted.slice('bundle:'.length), fresh: true } : null;
    const form = await formFor(userId, wanted && !bundle ? [wanted] : [], null, bundle);
    const found = bundle ? form.bundle !== null : form.preselected.length > 0;
    return { ...form, unknownPreselect: wanted && !found ? wanted : null };
  }

  /**
   * The form again for what the person has picked so far (the modal is redrawn on each pick): the
   * durations, justification rule and hints of exactly those resources' flows. Names this person cannot
   * request are left out here; the submission refuses them with a sentence.
   */
  async function formFor(
    userId: string,
    picked: readonly string[],
    forUser: string | null = null,
    bundlePick: BundlePickInput | null = null,
  ): Promise<RequestForm> {
    await requireMember(directory, userId);
    const { requestable, mayActForOthers, beneficiary, problem, bundles } = await requestableAs(userId, forUser);
    const offer = offeredBundle(bundles, bundlePick?.name);
    // A bundle just picked replaces the picks with its parts, and chooses its duration among those offered.
    const fresh =
      offer && bundlePick?.fresh ? bundleSelection(offer, (chosen) => formRules(requestable, chosen).durations) : null;
    if (fresh) picked = fresh.names;
    if (requestable.length === 0 && !mayActForOthers)
      throw new AppError('nothing_requestable', 'No flow lets this person request anything');
    warmApprovers(requestable);
    // On behalf, the beneficiary's key and link count; only they can add them (never the person asking).
    const asksForSshKey =
      beneficiary === userId && requestable.some((r) => needsSshKey(r.resource)) && !(await sshKeyOf(db, userId));
    const chosen = requestable.filter((r) => picked.includes(r.resource.name));
    const linked = requestable.some((r) => r.flows.some((f) => f.identity?.requireLink))
      ? (await findLink(db, beneficiary)) !== null
      : true;
    const rules = formRules(requestable, chosen);
    return {
      needLink: linked
        ? []
        : requestable.filter((r) => r.flows.every((f) => f.identity?.requireLink)).map((r) => r.resource.name),
      requestable,
      preselected: chosen.map((r) => r.resource.name),
      unknownPreselect: null,
      // Nothing to offer (someone who may only request for others, before they pick whom): a placeholder
      // duration so the form can be drawn; the submission refuses a request with nothing requestable.
      durations: rules.durations.length ? rules.durations : [60],
      asksForSshKey,
      justificationOptional: rules.justificationOptional,
      justificationHints: rules.hints,
      fieldGroups: rules.fields,
      mayActForOthers,
      forUser: beneficiary === userId ? null : beneficiary,
      forProblem: problem,
      bundles: bundles.map((b) => ({ name: b.bundle.name, description: b.bundle.description })),
      bundle: offer
        ? {
            name: offer.bundle.name,
            leftOut: offer.leftOut,
            durationMinutes: fresh?.durationMinutes ?? null,
            fresh: fresh !== null,
          }
        : null,
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

  return { requestableFor, requestableAs, openForm, formFor, search };
}

/** SSH resources provisioned with certificates need the requester's public key. */
export const needsSshKey = (r: { type: string; provisioner: { type: string } | null }) =>
  r.type === 'ssh' && r.provisioner?.type === 'ssh';
