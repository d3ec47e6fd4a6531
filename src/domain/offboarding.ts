/**
 * When Slack says a person is gone (deactivated): their grants end and their pending requests are
 * cancelled by the system. `ended_by` then holds this marker instead of a user id, so every message
 * re-rendered from the request says why ("the requester's Slack account was deactivated").
 */
export const DEACTIVATED_BY = 'slack:user_deactivated';

/** The audit reason of such an end or cancellation. */
export const DEACTIVATION_REASON = 'user_deactivated';

export const endedByDeactivation = (r: { endedBy: string | null }): boolean => r.endedBy === DEACTIVATED_BY;

/**
 * Who can still decide a pending request once `gone` left: the flow's approvers (named and group
 * members) other than the person who left and, unless the flow allows self-approval, the requester.
 */
export function remainingDeciders(
  approverIds: readonly string[],
  gone: string,
  requesterId: string,
  allowSelfApproval: boolean,
): string[] {
  return approverIds.filter((id) => id !== gone && (allowSelfApproval || id !== requesterId));
}
