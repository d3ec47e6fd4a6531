import { AppError } from '../domain/errors.js';
import { groupsMentioned, type Flow, type Identity } from '../domain/flow.js';
import type { Directory, Person } from './ports.js';

/** Refuses people who may not use the bot at all: guests, deactivated users, bots. */
export async function requireMember(directory: Directory, userId: string): Promise<Person> {
  const person = await directory.person(userId);
  if (person.isGuest) throw new AppError('guest_not_allowed', 'Guests cannot request or approve access');
  if (person.deleted || person.isBot) throw new AppError('not_allowed', 'Deactivated users and bots cannot act');
  return person;
}

/**
 * The person plus the user groups (among those the flows mention) they belong to. Asked of Slack
 * before any transaction opens: no network call ever runs while a row is locked.
 */
export async function resolveIdentity(directory: Directory, userId: string, flows: readonly Flow[]): Promise<Identity> {
  const groups = groupsMentioned(flows);
  const memberships = await Promise.all(groups.map(async (g) => ((await directory.groupMembers(g)).includes(userId) ? g : null)));
  return { userId, groupIds: new Set(memberships.filter((g): g is string => g !== null)) };
}

/** Every user who can approve through the flow (named users and members of approver groups). */
export async function approverIdsOf(directory: Directory, flow: Flow): Promise<string[]> {
  const members = await Promise.all(flow.approverGroups.map((g) => directory.groupMembers(g)));
  return [...new Set([...flow.approverUsers, ...members.flat()])];
}

/** Admins: listed in ACCESS_ADMINS, or workspace admins and owners. Guests never. */
export async function isAdmin(directory: Directory, admins: ReadonlySet<string>, userId: string): Promise<boolean> {
  const person = await directory.person(userId);
  if (person.isGuest || person.deleted || person.isBot) return false;
  return admins.has(userId) || person.isWorkspaceAdmin;
}
