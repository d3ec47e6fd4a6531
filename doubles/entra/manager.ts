import { FULL_USERS, need, notFound, selectedProps, project } from './graph-query.js';
import type { EntraState, TokenClaims } from './state.js';

/**
 * `GET /v1.0/users/{id | userPrincipalName}/manager`: the user's manager as a directoryObject (here always
 * a user). Reading another user's manager needs User.Read.All or above (User.ReadBasic.All is not enough);
 * a user with no manager answers 404 Request_ResourceNotFound naming 'manager', an unknown user names the key.
 */
export function managerOf(
  state: EntraState,
  origin: string,
  claims: TokenClaims,
  key: string,
  query: URLSearchParams,
): { status: number; body: unknown } {
  need(claims, FULL_USERS);
  const props = selectedProps(query, claims);
  const user = state.userByKey(key);
  if (!user) throw notFound(key);
  const manager = user.managerId ? state.users.get(user.managerId) : undefined;
  if (!manager) throw notFound('manager');
  return {
    status: 200,
    body: {
      '@odata.context': `${origin}/v1.0/$metadata#directoryObjects(${props.join(',')})/$entity`,
      '@odata.type': '#microsoft.graph.user',
      ...project(manager, props),
    },
  };
}
