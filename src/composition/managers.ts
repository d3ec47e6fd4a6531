import type { AccessFile } from '../domain/access-file.js';
import { groupSourceFromFile } from '../domain/group-source.js';
import { cachedManagers, firstManagerOf, mappedManagers } from '../integrations/manager-directory.js';
import { oktaManagers } from '../provisioners/okta/okta-managers.js';
import type { Secrets } from '../provisioners/secrets.js';
import type { Clock, Directory, ManagerDirectory } from '../services/ports.js';

/**
 * Where requesters' managers come from (domain/manager.ts): the access file's `managers:` mapping first,
 * then Okta through the first Okta group source's connection (its credentials), answers cached ten
 * minutes. Read at start, like group_sources.
 */
export function buildManagers(
  file: AccessFile | undefined,
  secrets: Secrets,
  directory: Directory,
  clock: Clock,
): ManagerDirectory | undefined {
  const sources: ManagerDirectory[] = [];
  if (file?.managers && Object.keys(file.managers).length > 0) sources.push(mappedManagers(file.managers));
  const okta = file?.group_sources.find((s) => s.source === 'okta');
  if (okta)
    sources.push(
      cachedManagers(oktaManagers(groupSourceFromFile(okta), secrets, directory), () => clock.now().getTime()),
    );
  return firstManagerOf(sources);
}
