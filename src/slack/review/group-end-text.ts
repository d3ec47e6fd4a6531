import type { GroupEnd } from '../../domain/group-sync.js';
import { code } from '../mrkdwn.js';

/**
 * Why a grant ended (or a request was cancelled) when its group left a group source, in the words every
 * re-rendered message and the requester's notice use: "the Okta group behind `okta-jit-db` no longer exists".
 */
export function groupEndText(end: GroupEnd): string {
  return end.reason === 'gone'
    ? `the ${end.provider} group behind ${code(end.resource)} no longer exists`
    : `the ${end.provider} group behind ${code(end.resource)} is no longer offered for just-in-time access (it left its group source's filter)`;
}
