import { AppError } from '../domain/errors.js';
import { approversFor, type Flow, type Identity } from '../domain/flow.js';
import type { AdminRule, Directory, Person } from './ports.js';
import type { Executor } from '../db/client.js';
import { findLink } from '../db/identity-queries.js';

/** Refuses people who may not use the bot at all: guests, deactivated users, bots. */
export async function requireMember(directory: Directory, userId: string): Promise<Person> {
  const person = await directory.person(userId);
  if (person.isGuest) throw new AppError('guest_not_allowed', 'Guests cannot request or approve access');
  if (person.deleted) throw new AppError('not_allowed', 'Deactivated users cannot act', { reason: 'deactivated' });
  if (person.isBot) throw new AppError('not_allowed', 'Bots cannot act');
  return person;
}

/**
 * The person plus the user groups, among just these, they belong to: each caller below names only the
 * groups its decision reads (usergroups.users.list is Tier 2, about 20 a minute per workspace). Asked
 * of Slack before any transaction opens: no network call ever runs while a row is locked.
 */
export async function identityIn(directory: Directory, userId: string, groups: readonly string[]): Promise<Identity> {
  const memberships = await Promise.all(
    groups.map(async (g) => ((await directory.groupMembers(g)).includes(userId) ? g : null)),
  );
  return { userId, groupIds: new Set(memberships.filter((g): g is string => g !== null)) };
}

/**
 * Enough of the person to decide what they may request: only the requester groups of enabled flows
 * that do not already let them in by name or as everyone. usergroups.users.list is Tier 2 (about 20
 * a minute per workspace); a form open must not ask about approver or escalation groups it never reads.
 */
export async function requesterIdentity(
  directory: Directory,
  userId: string,
  flows: readonly Flow[],
): Promise<Identity> {
  const open = flows.filter((f) => f.enabled && !f.requesterEveryone && !f.requesterUsers.includes(userId));
  return identityIn(directory, userId, [...new Set(open.flatMap((f) => f.requesterGroups))].sort());
}

/**
 * Enough of the person to decide one request of `flow`: none of its groups when they approve it by
 * name, else its approver groups, and its escalation groups only once the request was escalated.
 */
export async function deciderIdentity(
  directory: Directory,
  userId: string,
  flow: Flow | undefined,
  escalated: boolean,
): Promise<Identity> {
  if (!flow || flow.approverUsers.includes(userId)) return { userId, groupIds: new Set() };
  const escalation =
    escalated && !(flow.lifecycle?.escalationUsers ?? []).includes(userId)
      ? (flow.lifecycle?.escalationGroups ?? [])
      : [];
  return identityIn(directory, userId, [...new Set([...flow.approverGroups, ...escalation])]);
}

/**
 * Enough of the person to list what they may decide in any of these flows (Home, `/access pending`,
 * audit views): approver and escalation groups only, skipping those of flows that name them already.
 */
export async function approverIdentity(
  directory: Directory,
  userId: string,
  flows: readonly Flow[],
): Promise<Identity> {
  const groups = flows.flatMap((f) => [
    ...(f.approverUsers.includes(userId) ? [] : f.approverGroups),
    ...((f.lifecycle?.escalationUsers ?? []).includes(userId) ? [] : (f.lifecycle?.escalationGroups ?? [])),
  ]);
  return identityIn(directory, userId, [...new Set(groups)].sort());
}

/** Enough of the person to offer break-glass: the break-glass groups of enabled flows whose rule does not name them. */
export async function breakGlassIdentity(
  directory: Directory,
  userId: string,
  flows: readonly Flow[],
): Promise<Identity> {
  const rules = flows
    .filter((f) => f.enabled)
    .flatMap((f) => (f.lifecycle?.breakGlass ? [f.lifecycle.breakGlass] : []));
  return identityIn(
    directory,
    userId,
    [...new Set(rules.filter((r) => !r.users.includes(userId)).flatMap((r) => r.groups))].sort(),
  );
}

/**
 * Every user who can approve through the flow (named users and members of approver groups): with a
 * requester, as domain/flow.ts approversFor decides for their request (themselves only with self-approval).
 */
export async function approverIdsOf(
  directory: Directory,
  flow: Flow,
  requesterId: string | null = null,
): Promise<string[]> {
  const members = new Map(
    await Promise.all(flow.approverGroups.map(async (g) => [g, await directory.groupMembers(g)] as const)),
  );
  return approversFor(flow, (g) => members.get(g) ?? [], requesterId);
}

/** Admins as the operator named them (AdminRule); guests, bots and departed people never. */
export async function isAdmin(directory: Directory, admins: AdminRule, userId: string): Promise<boolean> {
  const person = await directory.person(userId);
  if (person.isGuest || person.deleted || person.isBot) return false;
  if (admins.users.has(userId)) return true;
  if (admins.workspaceAdmins && person.isWorkspaceAdmin) return true;
  return admins.group !== null && (await directory.groupMembers(admins.group)).includes(userId);
}

/** The admins who can be told about a change: ACCESS_ADMINS and the admin group (workspace admins are not listed by Slack here). */
export async function adminIdsOf(directory: Directory, admins: AdminRule): Promise<string[]> {
  const members = admins.group ? await directory.groupMembers(admins.group) : [];
  return [...new Set([...admins.users, ...members])];
}

/**
 * The e-mail provisioners and the authorization API map this person by: the linked, verified company
 * identity's when they linked one (OpenID Connect), else the Slack profile's (which Slack may not have
 * verified). Read before any transaction opens, like every directory call.
 */
export async function mappedEmailOf(db: Executor, directory: Directory, userId: string): Promise<string | null> {
  return mappedEmail(await findLink(db, userId), directory, userId);
}

/** The same, from the person's link as already read (a request's requesterIdentity). */
export async function mappedEmail(
  link: { email: string | null; emailVerified: boolean } | null | undefined,
  directory: Directory,
  userId: string,
): Promise<string | null> {
  if (link?.email && link.emailVerified) return link.email;
  return (await directory.person(userId).catch(() => null))?.email ?? null;
}
