import type { AccessFile } from '../domain/access-file.js';
import { groupSourceFromFile } from '../domain/group-source.js';
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
      return cachedManagers(inner, now);
    });
  const compose = (mapping: AccessFile['managers']) =>
    firstManagerOf([
      ...(mapping && Object.keys(mapping).length > 0 ? [mappedManagers(mapping, directory)] : []),
      ...providers,
    ]);
  let current = compose(file?.managers);
  return {
    directory: {
      managerOf: (userId) => current?.managerOf(userId) ?? Promise.resolve({ slackId: null, source: 'access file' }),
    },
    useFile(reloaded) {
      current = compose(reloaded.managers);
    },
  };
}
