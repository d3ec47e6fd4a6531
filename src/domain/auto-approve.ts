import { TZDate } from '@date-fns/tz';
// The function's own module: the package's index loads all of date-fns (about 18 MiB) for this one.
import { getISODay } from 'date-fns/getISODay';
import type { AutoApproveRule } from './flow.js';
import { repositoryDefault, type Policy, type ResourceGrant } from './policy.js';
import type { Resource } from './resource.js';
import { fieldConditionHolds, type FieldValues } from './request-fields.js';

/**
 * Auto-approval: a request that a flow's rule covers (its resources, a short enough duration, inside
 * the rule's weekly window in the rule's own time zone) is granted without a human. Pure: the caller
 * passes `now`.
 */

export const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];
/** The whole day: the default window. */
export const ALL_DAY = { from: '00:00', to: '24:00' } as const;

const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** An IANA zone the runtime knows ("Europe/Berlin"); anything Intl refuses is not one. */
export function isValidTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** "09:00-17:00" -> { from, to }; the end may be 24:00; an end before the start runs past midnight. */
export function parseHours(text: string): { from: string; to: string } | null {
  const m = /^\s*(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$/.exec(text);
  if (!m) return null;
  const [, from, to] = m as unknown as [string, string, string];
  if (!TIME.test(from) || !(TIME.test(to) || to === '24:00') || from === to) return null;
  return { from, to };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Is `now` inside the rule's window? Weekday and time are read in the rule's time zone, so "09:00" is
 * 09:00 on the wall clock there in summer and in winter. A window whose end is before its start
 * (22:00-06:00) runs past midnight and belongs to the weekday it starts on.
 */
export function ruleWindowOpen(
  rule: Pick<AutoApproveRule, 'weekdays' | 'from' | 'to' | 'timeZone'>,
  now: Date,
): boolean {
  if (!isValidTimeZone(rule.timeZone)) return false;
  const local = new TZDate(now.getTime(), rule.timeZone);
  const day = getISODay(local);
  const minute = local.getHours() * 60 + local.getMinutes();
  const from = minutesOf(rule.from);
  const to = minutesOf(rule.to);
  if (from < to) return rule.weekdays.includes(day) && minute >= from && minute < to;
  const previous = day === 1 ? 7 : day - 1;
  return (rule.weekdays.includes(day) && minute >= from) || (rule.weekdays.includes(previous) && minute < to);
}

export interface AutoApprovalCandidate {
  resources: readonly { name: string; tags: string[] }[];
  durationMinutes: number;
  /** Made by someone else for the person who gets the access (domain/on-behalf.ts). */
  onBehalf?: boolean;
  /** The request's custom field values (domain/request-fields.ts), for rules with a `fields` condition. */
  fields?: FieldValues;
}

/**
 * On behalf of someone: a rule approves it only when it opts in (`on_behalf: true`), since nobody who
 * benefits asked, and the person who asked is not the one the rule was written for. When it does, the
 * rule's conditions are the beneficiary's (the caller asks on call about them).
 */
export const ruleTakesOnBehalf = (
  rule: Pick<AutoApproveRule, 'onBehalf'>,
  request: Pick<AutoApprovalCandidate, 'onBehalf'>,
) => !request.onBehalf || rule.onBehalf === true;

/** A rule with no names and no tags covers every resource of its flow. */
export function ruleCoversResource(
  rule: Pick<AutoApproveRule, 'resourceNames' | 'resourceTags'>,
  resource: { name: string; tags: string[] },
): boolean {
  if (rule.resourceNames.length + rule.resourceTags.length === 0) return true;
  return rule.resourceNames.includes(resource.name) || resource.tags.some((t) => rule.resourceTags.includes(t));
}

/** Does the rule cover the request now, its on-call condition left aside (the caller asks the on-call service only for these)? */
export function ruleCoversRequest(rule: AutoApproveRule, request: AutoApprovalCandidate, now: Date): boolean {
  return (
    request.resources.length > 0 &&
    request.durationMinutes > 0 &&
    request.durationMinutes <= rule.maxDurationMinutes &&
    request.resources.every((r) => ruleCoversResource(rule, r)) &&
    ruleTakesOnBehalf(rule, request) &&
    fieldConditionHolds(rule.fields, request.fields ?? {}) &&
    ruleWindowOpen(rule, now)
  );
}

/**
 * The first rule (in the flow's order) that covers the whole request now, or null: a human decides.
 * A rule with an on-call condition matches only when `onCall(rule)` says the requester is on call.
 */
export function matchAutoApproval(
  rules: readonly AutoApproveRule[],
  request: AutoApprovalCandidate,
  now: Date,
  onCall: (rule: AutoApproveRule) => boolean = () => false,
): AutoApproveRule | null {
  return rules.find((rule) => ruleCoversRequest(rule, request, now) && (!rule.onCall?.length || onCall(rule))) ?? null;
}

/**
 * What an auto-approval grants: the least each resource type allows, since nobody tuned it. Databases
 * read-only on all databases, HTTP read-only, Kubernetes `view` in the resource's default namespaces
 * and SSH as its default login users, a cloud account its default roles, a repository its default
 * permission, a group its membership. A Kubernetes, SSH, cloud or repository resource without defaults has no safe untuned grant, so the request is not
 * auto-approved (null) and goes to the approvers.
 */
export function autoApprovalPolicy(
  resources: readonly Pick<Resource, 'name' | 'type' | 'defaults'>[],
  durationMinutes: number,
): Policy | null {
  const grants: ResourceGrant[] = [];
  for (const r of resources) {
    switch (r.type) {
      case 'database':
        grants.push({ type: 'database', resource: r.name, access: 'read-only', databases: [] });
        break;
      case 'http':
        grants.push({ type: 'http', resource: r.name, access: 'read-only' });
        break;
      case 'generic':
        grants.push({ type: 'generic', resource: r.name });
        break;
      case 'group':
        grants.push({ type: 'group', resource: r.name });
        break;
      case 'cloud':
        if (!r.defaults.roles?.length) return null;
        grants.push({ type: 'cloud', resource: r.name, roles: r.defaults.roles });
        break;
      case 'repository': {
        // Only the resource's own default: the least role it allows is its provisioner's to say.
        const permission = repositoryDefault(r.defaults.roles);
        if (!permission) return null;
        grants.push({ type: 'repository', resource: r.name, permission });
        break;
      }
      case 'kubernetes':
        if (r.defaults.namespaces.length === 0) return null;
        grants.push({ type: 'kubernetes', resource: r.name, role: 'view', namespaces: r.defaults.namespaces });
        break;
      case 'ssh':
        if (r.defaults.loginUsers.length === 0) return null;
        grants.push({ type: 'ssh', resource: r.name, loginUsers: r.defaults.loginUsers });
        break;
    }
  }
  return grants.length > 0 ? { resources: grants, durationMinutes } : null;
}
