import type { AccessFile } from '../domain/access-file.js';
import { groupSourceFromFile } from '../domain/group-source.js';
import type { ManagerSource } from '../domain/manager.js';
import { cachedManagers, firstManagerOf, mappedManagers } from '../integrations/manager-directory.js';
import { entraManagers } from '../provisioners/entra/entra-managers.js';
import type { GraphClientOptions } from '../provisioners/entra/graph-client.js';
import { oktaManagers } from '../provisioners/okta/okta-managers.js';
import type { Secrets } from '../provisioners/secrets.js';
import type { Clock, Directory, ManagerDirectory } from '../services/ports.js';

export interface ManagerSources {
  /** What the services ask (ServiceDeps.managers): always the file's current mapping, then the providers. */
  directory: ManagerDirectory;
  /** A reloaded ACCESS_CONFIG: its `managers:` mapping answers the next request. */
  useFile(file: AccessFile): void;
}

const hasMapping = (file: AccessFile | undefined) => Object.keys(file?.managers ?? {}).length > 0;

/**
 * Where requesters' managers come from (domain/manager.ts): the access file's `managers:` mapping first,
 * then the identity providers of the group sources, in the file's order: the first Okta source's
 * connection and the first Entra ID source's (their credentials), answers cached ten minutes. The mapping
 * follows every reload; the providers are read at start, like group_sources.
 */
export function buildManagers(
  file: AccessFile | undefined,
  secrets: Secrets,
  directory: Directory,
  clock: Clock,
  entraOptions: GraphClientOptions = {},
): ManagerSources {
  const now = () => clock.now().getTime();
  const sources = file?.group_sources ?? [];
  const providers = (['okta', 'entra'] as const)
    .map((kind) => sources.find((s) => s.source === kind))
    .filter((s) => s !== undefined)
    .sort((a, b) => sources.indexOf(a) - sources.indexOf(b))
    .map((s) => {
      const source = groupSourceFromFile(s);
      const inner =
        s.source === 'okta'
          ? oktaManagers(source, secrets, directory)
          : entraManagers(source, secrets, directory, entraOptions);
      return {
        name: s.source === 'okta' ? ('Okta' as const) : ('Entra ID' as const),
        lookup: cachedManagers(inner, now),
      };
    });
  const compose = (f: AccessFile | undefined) => ({
    lookup: firstManagerOf([
      ...(hasMapping(f) ? [mappedManagers(f!.managers!, directory)] : []),
      ...providers.map((p) => p.lookup),
    ]),
    names: [...(hasMapping(f) ? (['access file'] as const) : []), ...providers.map((p) => p.name)] as ManagerSource[],
  });
  let current = compose(file);
  return {
    directory: {
      managerOf: (userId) =>
        current.lookup?.managerOf(userId) ?? Promise.resolve({ slackId: null, source: 'access file' }),
      sources: () => current.names,
    },
    useFile(reloaded) {
      current = compose(reloaded);
    },
  };
}
