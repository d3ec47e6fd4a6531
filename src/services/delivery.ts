import type { Db } from '../db/client.js';
import type { DeliveryContext } from '../db/request-details.js';
import { firstDeliveryAlert, saveMessageRef, setRenderHash } from '../db/message-queries.js';
import type { MessageRef } from '../domain/request.js';
import type { Person } from './ports.js';
import type { DeliveryProblem, Messenger } from './ports-messengers.js';

/**
 * Slack refused one recipient for good (the bot is not in the channel, the channel is archived, the
 * person cannot get DMs): retrying will not help, an admin has to fix it. `code` is Slack's error code,
 * or `deactivated` / `cannot_dm_bot` when the directory says so before anything is sent.
 */
export class DeliveryRefused extends Error {
  constructor(
    readonly code: string,
    readonly target: string,
  ) {
    super(`Slack refused delivery to ${target}: ${code}`);
    this.name = 'DeliveryRefused';
  }
}

export interface DeliveryDeps {
  db: Db;
  messenger: Messenger;
  admins: readonly string[];
  /** The person's directory entry; null when Slack does not know them. */
  person(userId: string): Promise<Pick<Person, 'deleted' | 'isBot'> | null>;
}

/**
 * Delivers a request's messages recipient by recipient. Each delivered one is recorded (slack_messages),
 * so a retry resumes with the rest; a recipient Slack refuses for good is skipped, and the admins are
 * told once per problem how to fix it; a passing failure is retried later without holding the others.
 */
/** What one refresh drew: each message it updated (channel:ts) with the render hash it drew. */
type Rendered = Map<string, string>;
const messageKey = (ref: Pick<MessageRef, 'channel' | 'ts'>) => `${ref.channel}:${ref.ts}`;

export function createDelivery({ db, messenger, admins, person }: DeliveryDeps) {
  /** Why we will not DM this person at all: Slack accepts posts to a deactivated user and nobody reads them. */
  async function unreachable(userId: string): Promise<string | null> {
    const p = await person(userId);
    if (!p) return 'user_not_found';
    if (p.deleted) return 'deactivated';
    if (p.isBot) return 'cannot_dm_bot';
    return null;
  }

  async function tellAdmins(problem: DeliveryProblem) {
    // Keyed by problem and target, not by request: a channel the bot is not in is said once, not per request.
    if (!(await firstDeliveryAlert(db, `${problem.code}:${problem.target}`))) return;
    for (const admin of admins) await messenger.postDeliveryProblem(admin, problem);
  }

  async function announce(request: DeliveryContext) {
    const known = request.messages;
    const has = (role: MessageRef['role'], userId: string) => known.some((m) => m.role === role && m.userId === userId);
    let passing: unknown = null;
    const problem = (
      code: string,
      target: string,
      role: MessageRef['role'],
      fellBackToDms = false,
    ): DeliveryProblem => ({
      code,
      target,
      role,
      requestId: request.id,
      flowName: request.flowName,
      breakGlass: request.kind === 'break_glass',
      fellBackToDms,
    });

    /** One recipient: true when delivered (now or before), false when refused for good. */
    async function deliver(role: MessageRef['role'], target: string): Promise<boolean> {
      if (has(role, target)) return true;
      try {
        if (role !== 'channel') {
          const why = await unreachable(target);
          if (why) throw new DeliveryRefused(why, target);
        }
        const ref = await messenger.postRequestMessage(role, target, request);
        await saveMessageRef(db, {
          requestId: request.id,
          role,
          userId: target,
          ...ref,
          renderHash: messenger.renderHash(role, request),
        });
        return true;
      } catch (e) {
        if (!(e instanceof DeliveryRefused)) {
          passing ??= e;
          return true; // not delivered yet, but it will be on the retry: no fallback for a passing failure
        }
        const fellBack = role === 'channel' && request.kind !== 'break_glass';
        await tellAdmins(problem(e.code, target, role, fellBack));
        return false;
      }
    }

    // One message in the approvers' channel instead of a DM each; the buttons still check who clicks.
    const inChannel = request.notifyChannel ? await deliver('channel', request.notifyChannel) : false;
    // Break-glass is loud: the rule's channel and every approver's DM, since someone must review it. A
    // channel Slack refuses falls back to DMs, so the approvers hear of the request anyway.
    if (!inChannel || request.kind === 'break_glass') {
      for (const approver of request.notifiedApprovers) await deliver('approver', approver);
    }
    await deliver('requester', request.requesterId);
    // Asked on the requester's behalf: the asker gets their own copy (no secrets, no buttons).
    if (request.requestedBy) await deliver('asker', request.requestedBy);
    if (passing) throw passing;
  }

  /**
   * Re-renders every stored message and the Home tab of everyone involved who has opened theirs (the
   * others get a fresh one whenever they open it: Slack tells the bot every time). Messages already
   * showing the current render (their hash is recorded) are skipped, so a retry after a failure half-way
   * resumes where it stopped; the messenger paces the calls to Slack's rate-limit tiers.
   */
  async function refresh(request: DeliveryContext, force: ReadonlySet<string> = new Set()): Promise<Rendered> {
    const rendered: Rendered = new Map();
    for (const ref of request.messages) {
      const hash = messenger.renderHash(ref.role, request);
      if (ref.renderHash === hash && !force.has(messageKey(ref))) continue;
      if (ref.role === 'channel' || !(await unreachable(ref.userId)))
        await messenger.updateRequestMessage(ref, request);
      await setRenderHash(db, ref, hash);
      rendered.set(messageKey(ref), hash);
    }
    // Approvers of a stage that passed too: their Home's review list drops the request.
    const earlier = request.messages.filter((m) => m.role === 'earlier_stage').map((m) => m.userId);
    const people = [
      ...new Set([
        request.requesterId,
        ...(request.requestedBy ? [request.requestedBy] : []),
        ...request.notifiedApprovers,
        ...earlier,
      ]),
    ];
    const readers = new Set(request.homeReaders);
    for (const userId of people)
      if (readers.has(userId) && !(await unreachable(userId))) await messenger.refreshHome(userId);
    return rendered;
  }

  /**
   * Refreshes, then reads the request again and redraws what it drew from a state that has changed since.
   * Two replicas may refresh one request at once (an approval's refresh still in flight when the grant
   * expires): the one that read it earlier may land its chat.update last, and the stored hash would then
   * say the stale render is current. Whoever drew a stale render draws again after its own write, so the
   * last write to land is a current one. Bounded: a request changing all the time gets its next refresh anyway.
   */
  async function refreshUntilCurrent(first: DeliveryContext, reread: () => Promise<DeliveryContext | null>) {
    let request = first;
    let force: ReadonlySet<string> = new Set();
    for (let pass = 0; pass < 3; pass++) {
      const rendered = await refresh(request, force);
      if (rendered.size === 0) return;
      const now = await reread();
      if (!now) return;
      const drawnStale = (ref: MessageRef) =>
        rendered.has(messageKey(ref)) && rendered.get(messageKey(ref)) !== messenger.renderHash(ref.role, now);
      force = new Set(now.messages.filter(drawnStale).map(messageKey));
      if (force.size === 0) return;
      request = now;
    }
  }

  return { announce, refresh, refreshUntilCurrent };
}
