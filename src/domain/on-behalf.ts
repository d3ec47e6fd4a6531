import { z } from 'zod';
import { People } from './file-fields.js';
import { mayRequestThrough, type Flow, type Identity } from './flow.js';

/**
 * Requests on behalf of someone (issue 26): a flow names who may ask for whom. The beneficiary gets the
 * grant and its secrets; the person who asked is told what happens. `forAnyoneInFlow`: anyone the flow
 * lets request (helpdesk); else only the named users and members of the named groups (team leads).
 */
export interface OnBehalfRule {
  requesterUsers: string[];
  requesterGroups: string[];
  forUsers: string[];
  forGroups: string[];
  forAnyoneInFlow: boolean;
}

/** `on_behalf: { requesters: { users, groups }, for: { users, groups } | anyone_in_flow }` in ACCESS_CONFIG. */
export const OnBehalfFileSchema = z
  .strictObject({
    requesters: People,
    for: z.union([z.literal('anyone_in_flow'), People]),
  })
  .superRefine((o, ctx) => {
    if (o.requesters.users.length + o.requesters.groups.length === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'must name at least one user or group who may request on behalf of others',
        path: ['requesters'],
      });
    if (o.for !== 'anyone_in_flow' && o.for.users.length + o.for.groups.length === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'must name at least one user or group, or say anyone_in_flow',
        path: ['for'],
      });
  })
  .optional();

export type OnBehalfFile = z.infer<typeof OnBehalfFileSchema>;

export function onBehalfFromFile(o: OnBehalfFile): OnBehalfRule | null {
  if (!o) return null;
  const anyone = o.for === 'anyone_in_flow';
  return {
    requesterUsers: o.requesters.users,
    requesterGroups: o.requesters.groups,
    forUsers: anyone ? [] : (o.for as { users: string[] }).users,
    forGroups: anyone ? [] : (o.for as { groups: string[] }).groups,
    forAnyoneInFlow: anyone,
  };
}

export function onBehalfToFile(rule: OnBehalfRule | null | undefined): Record<string, unknown> {
  if (!rule) return {};
  const people = (users: string[], groups: string[]) => ({
    ...(users.length ? { users } : {}),
    ...(groups.length ? { groups } : {}),
  });
  return {
    on_behalf: {
      requesters: people(rule.requesterUsers, rule.requesterGroups),
      for: rule.forAnyoneInFlow ? 'anyone_in_flow' : people(rule.forUsers, rule.forGroups),
    },
  };
}

/** Whether this person may ask for someone else through this flow at all (the form shows "For" then). */
export function mayAskOnBehalf(flow: Flow, asker: Identity): boolean {
  const rule = flow.onBehalf;
  return (
    flow.enabled &&
    !!rule &&
    (rule.requesterUsers.includes(asker.userId) || rule.requesterGroups.some((g) => asker.groupIds.has(g)))
  );
}

/**
 * Whether `asker` may request for `beneficiary` through this flow: the rule names the asker and covers the
 * beneficiary, and the beneficiary may request through the flow themselves (the rule never widens who
 * gets access). Guests and deactivated people are refused before this (they are never eligible).
 */
export function mayRequestOnBehalf(flow: Flow, asker: Identity, beneficiary: Identity): boolean {
  const rule = flow.onBehalf;
  if (!rule || asker.userId === beneficiary.userId || !mayAskOnBehalf(flow, asker)) return false;
  if (!mayRequestThrough(flow, beneficiary)) return false;
  return (
    rule.forAnyoneInFlow ||
    rule.forUsers.includes(beneficiary.userId) ||
    rule.forGroups.some((g) => beneficiary.groupIds.has(g))
  );
}

/** The flows through which `asker` may request for `beneficiary` (the form offers what these cover). */
export function onBehalfFlows(flows: readonly Flow[], asker: Identity, beneficiary: Identity): Flow[] {
  return flows.filter((f) => mayRequestOnBehalf(f, asker, beneficiary));
}
