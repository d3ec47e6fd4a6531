import { z } from 'zod';
import { People } from './file-fields.js';

/**
 * The requester's manager as an approver (issue 26 part 2): `approvers: { manager: true }` on a flow or
 * a stage. The manager is looked up when the request arrives (or its stage begins) and recorded on the
 * request, like the people on call; when nobody is found, or the lookup fails, the fallback is asked.
 */
export interface ManagerApprover {
  fallbackUsers: string[];
  fallbackGroups: string[];
}

/** The approver fields a flow and a stage add for the manager. */
export const managerFileFields = {
  manager: z.boolean().optional(),
  /** Who is asked when the requester's manager cannot be found. */
  manager_fallback: People.optional(),
};

const SLACK_USER = /^[UW][A-Z0-9]+$/;
// A plain address check, enough to tell an e-mail from a Slack id; Slack's look-up decides who has it.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const Person = z
  .string()
  .refine((v) => SLACK_USER.test(v) || EMAIL.test(v), 'must be a Slack user id (U…) or an e-mail address');

/**
 * Top-level `managers: { U0REQ: U0DBA1, rita@example.com: dana@example.com }`: the manager of each
 * requester, for teams without an identity provider. Either side is a Slack user id or an e-mail, which
 * is matched to a Slack user when a request needs it.
 */
export const ManagersFileSchema = z.record(Person, Person).optional();

/** Whether a `managers:` entry names a person by e-mail rather than by Slack id. */
export const isEmail = (person: string): boolean => person.includes('@');

export function managerFromFile(a: {
  manager?: boolean | undefined;
  manager_fallback?: { users: string[]; groups: string[] } | undefined;
}): { managerApprover?: ManagerApprover } {
  if (!a.manager) return {};
  return {
    managerApprover: {
      fallbackUsers: a.manager_fallback?.users ?? [],
      fallbackGroups: a.manager_fallback?.groups ?? [],
    },
  };
}

export function managerToFile(m: ManagerApprover | undefined): Record<string, unknown> {
  if (!m) return {};
  const fallback = {
    ...(m.fallbackUsers.length ? { users: m.fallbackUsers } : {}),
    ...(m.fallbackGroups.length ? { groups: m.fallbackGroups } : {}),
  };
  return { manager: true, ...(Object.keys(fallback).length ? { manager_fallback: fallback } : {}) };
}

/** Where a manager answer came from, for people: "the access file", "Okta", "Entra ID". */
export type ManagerSource = 'access file' | 'Okta' | 'Entra ID';

/** What a request keeps about its manager look-up, for every surface and the audit. */
export interface RequestManager {
  /** The manager asked (null: none found, the fallback was asked). */
  slackId: string | null;
  source: ManagerSource;
  /** The source could not answer (a short reason, no secrets). */
  failure?: string;
  /** The mapping names the manager by an e-mail that no Slack user has. */
  unknownEmail?: string;
  /** The manager found was the requester themselves. */
  self?: true;
  fallbackUsers?: string[];
  fallbackGroups?: string[];
  /** Who was asked because of the look-up (the manager, or the fallback's people): not "on call". */
  asked: string[];
}
