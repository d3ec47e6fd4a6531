/**
 * The ports through which services tell people things: request messages and notices (Messenger), the
 * bundle DM, and access reviews. Apart from ports.ts because they change together, with the Slack
 * renderers, and not with the directory, metrics or sign-in ports. Like every port file, this one imports
 * only domain/ shapes (lint: eslint.config.js).
 */
import type { RemovalOutcome, ReviewPageModel } from '../domain/access-review.js';
import type { BundlePickView } from '../domain/bundle-view.js';
import type { ConfigRefusal, NoticeEvent, TargetChange } from '../domain/outbox.js';
import type { MessageRef, RequestDetails } from '../domain/request.js';

/** What the requester's "access ready" DM says: how to use the access, and the secret when there is one. */
export interface AccessReady {
  instructions?: string;
  secret?: { label: string; value: string };
}

/** Slack refused a request's message for good: what an admin is told (slack/delivery-problem-text.ts words it). */
export interface DeliveryProblem {
  code: string;
  /** the channel id, or the person's user id */
  target: string;
  role: MessageRef['role'];
  requestId: string;
  flowName: string;
  breakGlass: boolean;
  /** the approvers got a DM instead of the channel post */
  fellBackToDms: boolean;
}

/**
 * How requests reach people: Slack in production (slack/messenger.ts), one port for every service that
 * tells someone something. Every method renders from the request's current state. postRequestMessage
 * throws DeliveryRefused when Slack refuses that recipient for good. Secrets go to the requester only.
 */
export interface Messenger {
  postRequestMessage(
    role: MessageRef['role'],
    userId: string,
    request: RequestDetails,
  ): Promise<{ channel: string; ts: string }>;
  /** Returns false when the message is gone (deleted in Slack): nothing left to update. */
  updateRequestMessage(ref: MessageRef, request: RequestDetails): Promise<boolean>;
  postNotice(userId: string, request: RequestDetails, event: NoticeEvent): Promise<void>;
  /** A reply in the thread of an existing message (reminders and nudges: no new top-level message). */
  postThreadReply(ref: MessageRef, request: RequestDetails, kind: 'nudge' | 'reminder'): Promise<void>;
  refreshHome(userId: string): Promise<void>;
  /** Identifies what `role`'s message shows for this state: equal hashes need no update. */
  renderHash(role: MessageRef['role'], request: RequestDetails): string;
  /** Tells an admin what Slack refused and how to fix it. */
  postDeliveryProblem(adminId: string, problem: DeliveryProblem): Promise<void>;
  /** A DM to one admin: another admin changed a resource's target or credentials. */
  postTargetChange(adminId: string, change: TargetChange): Promise<void>;
  /** A DM to one admin: the running bot refused a changed ACCESS_CONFIG and kept its catalogue. */
  postConfigRefused(adminId: string, refusal: ConfigRefusal): Promise<void>;
  /** The requester's DM that their access is ready (with instructions and the secret, if any). */
  postAccessReady(request: RequestDetails, resource: string, result: AccessReady): Promise<void>;
  /** Provisioning keeps failing (or failed for good): the requester and approvers hear it. */
  postProvisioningProblem(request: RequestDetails, resource: string, problem: string, final: boolean): Promise<void>;
  /** The requester's DM that their access ends soon (with the end time). */
  postEndWarning(request: RequestDetails): Promise<void>;
}

/** A Remove that the bot could not carry out by itself: what an admin must change, and where. */
export interface ReviewFinding {
  reviewId: string;
  flowName: string;
  userId: string;
  decidedBy: string;
  outcomes: RemovalOutcome[];
  /** The flow's user groups that hold the person (Slack user groups: an admin removes them there). */
  groups: string[];
}

/** The requester's one DM about a bundle pick (slack/request/bundle-messenger.ts), posted once and updated in place. */
export interface BundleMessenger {
  postBundle(view: BundlePickView): Promise<{ channel: string; ts: string }>;
  /** Returns false when the message is gone (deleted in Slack): nothing left to update. */
  updateBundle(ref: { channel: string; ts: string }, view: BundlePickView): Promise<boolean>;
}

/** How access reviews reach people (slack/access-review/review-messenger.ts): the reviewers' DMs and the admins' findings. */
export interface ReviewMessenger {
  /** The reviewer's DM, on the page the model holds. */
  postReview(reviewerId: string, page: ReviewPageModel): Promise<{ channel: string; ts: string }>;
  /** Returns false when the message is gone: nothing left to update. */
  updateReview(ref: { channel: string; ts: string }, page: ReviewPageModel): Promise<boolean>;
  /** A reply in the thread of the reviewer's DM: people are still undecided. */
  postReviewReminder(ref: { channel: string; ts: string }, page: ReviewPageModel): Promise<void>;
  postReviewFinding(adminId: string, finding: ReviewFinding): Promise<void>;
}
