import { requestableResources, type Flow, type Identity, type RequestableResource } from '../domain/flow.js';
import type { Resource } from '../domain/resource.js';
import { mayAskOnBehalf, onBehalfFlows } from '../domain/on-behalf.js';
import { identityIn } from './identity.js';
import type { Directory } from './ports.js';

/**
 * Requests on behalf of someone (domain/on-behalf.ts): who may ask for others, and what they may ask
 * for a given person. Asked of Slack before any transaction; the submission asks again (never trusts
 * the form), and the answer names the problem in a sentence for the person who asked.
 */
export type OnBehalfAnswer = { ok: true; requestable: RequestableResource[] } | { ok: false; problem: string };

/** The flows through which this person may ask for someone else (empty: the form shows no "For"). */
export async function flowsToAskOnBehalf(
  directory: Directory,
  askerId: string,
  flows: readonly Flow[],
): Promise<{ flows: Flow[]; asker: Identity }> {
  const candidates = flows.filter((f) => f.enabled && f.onBehalf);
  if (candidates.length === 0) return { flows: [], asker: { userId: askerId, groupIds: new Set() } };
  const groups = candidates
    .filter((f) => !f.onBehalf!.requesterUsers.includes(askerId))
    .flatMap((f) => f.onBehalf!.requesterGroups);
  const asker = await identityIn(directory, askerId, [...new Set(groups)].sort());
  return { flows: candidates.filter((f) => mayAskOnBehalf(f, asker)), asker };
}

/** What `askerId` may request for `beneficiaryId`: the beneficiary's own eligibility under flows that let the asker act for them. */
export async function requestableOnBehalf(
  directory: Directory,
  flows: readonly Flow[],
  resources: readonly Resource[],
  askerId: string,
  beneficiaryId: string,
): Promise<OnBehalfAnswer> {
  const { flows: mine, asker } = await flowsToAskOnBehalf(directory, askerId, flows);
  if (mine.length === 0) return { ok: false, problem: 'You may not request access on behalf of others.' };
  const person = await directory.person(beneficiaryId);
  if (person.isGuest || person.deleted || person.isBot)
    return {
      ok: false,
      problem: `${person.name || beneficiaryId} cannot get access: guests, bots and deactivated people never can.`,
    };
  const groups = mine.flatMap((f) => [...f.requesterGroups, ...f.onBehalf!.forGroups]);
  const beneficiary = await identityIn(directory, beneficiaryId, [...new Set(groups)].sort());
  const allowed = onBehalfFlows(mine, asker, beneficiary);
  const requestable = requestableResources(allowed, resources, beneficiary);
  if (requestable.length === 0)
    return { ok: false, problem: `No flow lets you request anything for ${person.name || beneficiaryId}.` };
  return { ok: true, requestable };
}
