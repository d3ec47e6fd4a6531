import { reviewProblem } from './access-review.js';
import { formatDuration } from './duration.js';
import type { Flow } from './flow.js';
import { lifecycleProblems, type LifecycleField } from './lifecycle-input.js';
import { patternProblem } from './pattern.js';
import { repositoryDefaultProblem } from './policy.js';
import { ResourceNameSchema, TagSchema, type Resource } from './resource.js';
import { PROJECT_KEY } from './ticket.js';

/** Flow and resource edits from App Home, checked field by field so each problem shows under its input. */
export type FlowInput = Omit<Flow, 'id'>;
export type ResourceInput = Omit<Resource, 'id'>;
export type FlowField =
  | 'name'
  | 'description'
  | 'resources'
  | 'requesters'
  | 'approvers'
  | 'maxDuration'
  | 'durationChoices'
  | 'approvalsRequired'
  | 'justificationMinLength'
  | 'justificationPattern'
  | 'justificationHint'
  | 'justificationJira'
  | 'identity'
  | 'review'
  | 'onBehalf'
  | LifecycleField;
export type ResourceField = 'name' | 'type' | 'tags' | 'description' | 'defaults' | 'provisioner';
export type FieldErrors<F extends string> = Partial<Record<F, string>>;

const USER = /^[UW][A-Z0-9]{2,}$/;
const GROUP = /^S[A-Z0-9]{2,}$/;
const TUNING_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/;

export function flowInputProblems(f: FlowInput, knownResources: ReadonlySet<string>): FieldErrors<FlowField> {
  const e: FieldErrors<FlowField> = {};
  if (!ResourceNameSchema.safeParse(f.name).success) e.name = 'Use lower-case letters, digits, - _ . (up to 64).';
  if (f.description.length > 500) e.description = 'Keep it under 500 characters.';
  const unknown = f.resourceNames.filter((n) => !knownResources.has(n));
  if (f.resourceNames.length + f.resourceTags.length === 0) e.resources = 'Pick at least one resource or tag.';
  else if (unknown.length > 0) e.resources = `Unknown resource: ${unknown.join(', ')}.`;
  else if (f.resourceTags.some((t) => !TagSchema.safeParse(t).success))
    e.resources = 'Tags use lower-case letters, digits, - _ . :';
  if (!f.requesterEveryone && f.requesterUsers.length + f.requesterGroups.length === 0)
    e.requesters = 'Pick who may request: users, groups, or everyone.';
  else if (f.requesterUsers.some((u) => !USER.test(u)) || f.requesterGroups.some((g) => !GROUP.test(g)))
    e.requesters = 'Pick Slack users and user groups.';
  // The requester's manager alone is enough (its fallback is asked when none is found).
  if (f.approverUsers.length + f.approverGroups.length === 0 && !f.lifecycle?.managerApprover)
    e.approvers = 'Pick at least one approver or approver group.';
  else if (f.approverUsers.some((u) => !USER.test(u)) || f.approverGroups.some((g) => !GROUP.test(g)))
    e.approvers = 'Pick Slack users and user groups.';
  if (!Number.isInteger(f.maxDurationMinutes) || f.maxDurationMinutes <= 0 || f.maxDurationMinutes > 90 * 1440)
    e.maxDuration = 'Pick a maximum duration.';
  else if (f.durationChoices.some((d) => d > f.maxDurationMinutes))
    e.durationChoices = `Choices cannot be longer than the maximum (${formatDuration(f.maxDurationMinutes)}).`;
  if (!Number.isInteger(f.approvalsRequired) || f.approvalsRequired < 1 || f.approvalsRequired > 10)
    e.approvalsRequired = 'Use a whole number from 1 to 10.';
  if (!Number.isInteger(f.justification.minLength) || f.justification.minLength < 0 || f.justification.minLength > 2000)
    e.justificationMinLength = 'Use a whole number from 0 to 2000.';
  const pattern = f.justification.pattern;
  const refused =
    pattern === null ? null : pattern.length > 200 ? 'keep it under 200 characters' : patternProblem(pattern);
  if (refused) e.justificationPattern = `Justification pattern: ${refused}.`;
  if ((f.justification.hint ?? '').length > 150) e.justificationHint = 'Keep the hint under 150 characters.';
  const projects = f.justification.jira?.projects ?? [];
  if (projects.some((p) => !PROJECT_KEY.test(p)))
    e.justificationJira = 'Use Jira project keys like INC, OPS (capitals and digits, up to 10).';
  else if (projects.length > 20) e.justificationJira = 'At most 20 Jira projects.';
  const id = f.identity;
  if (
    id &&
    id.stepUpMinutes !== null &&
    (!Number.isInteger(id.stepUpMinutes) || id.stepUpMinutes < 1 || id.stepUpMinutes > 1440)
  )
    e.identity = 'Use a whole number of minutes from 1 to 1440.';
  else if (id?.requireMfa && id.stepUpMinutes === null)
    e.identity = 'MFA is checked on the step-up sign-in: say within how many minutes approvers must sign in.';
  const ob = f.onBehalf;
  if (ob && ob.requesterUsers.length + ob.requesterGroups.length === 0)
    e.onBehalf = 'Pick who may request on behalf of others: users or groups.';
  else if (ob && !ob.forAnyoneInFlow && ob.forUsers.length + ob.forGroups.length === 0)
    e.onBehalf = 'Pick for whom they may request: users, groups, or anyone the flow allows.';
  else if (
    ob &&
    ([...ob.requesterUsers, ...ob.forUsers].some((u) => !USER.test(u)) ||
      [...ob.requesterGroups, ...ob.forGroups].some((g) => !GROUP.test(g)))
  )
    e.onBehalf = 'Pick Slack users and user groups.';
  const review = reviewProblem(f.review);
  if (review) e.review = review;
  Object.assign(e, lifecycleProblems(f.lifecycle, knownResources));
  return e;
}

const CLOUD_ROLE = /^[A-Za-z0-9_][A-Za-z0-9_.@/+=,-]{0,127}$/;

export function resourceInputProblems(r: ResourceInput): FieldErrors<ResourceField> {
  const e: FieldErrors<ResourceField> = {};
  if (!ResourceNameSchema.safeParse(r.name).success) e.name = 'Use lower-case letters, digits, - _ . (up to 64).';
  if (r.tags.some((t) => !TagSchema.safeParse(t).success)) e.tags = 'Tags use lower-case letters, digits, - _ . :';
  else if (r.tags.length > 20) e.tags = 'At most 20 tags.';
  if (r.description.length > 500) e.description = 'Keep it under 500 characters.';
  const names = [...r.defaults.loginUsers, ...r.defaults.databases, ...r.defaults.namespaces];
  if (names.some((n) => !TUNING_NAME.test(n))) e.defaults = 'Use names made of letters, digits, _ . @ - only.';
  else if ((r.defaults.roles ?? []).some((n) => !CLOUD_ROLE.test(n)))
    e.defaults = 'Cloud roles are permission set names or role ids like roles/viewer.';
  else if (r.type === 'repository' && repositoryDefaultProblem(r.defaults.roles))
    e.defaults = `A GitHub repository's default is one permission: read, triage, write, maintain or admin.`;
  return e;
}
