import { PermanentProvisioningError } from '../port.js';

/**
 * The admin connection URL, parsed. Node's "Invalid URL" error carries the whole string in its `input`
 * field, password included, and loggers print it (issue 23: every session-capture sample logged it); this
 * error names the setting and the fix, never the value. A wrong URL never heals by retrying.
 */
export function parseAdminUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new PermanentProvisioningError(
      'admin_url is not a valid connection URL: percent-encode special characters in its user name and password (/ as %2F, @ as %40, # as %23, ? as %3F).',
    );
  }
}
