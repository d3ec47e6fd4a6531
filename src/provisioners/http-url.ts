/** Hosts that never leave this machine: plain http to them is allowed (local doubles, sidecars). */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * A target URL from a provisioner setting, or null: https, or http only to loopback. A credential the
 * bot sends with it (a token, a signature) never crosses a network in the clear.
 */
export function parseHttpUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol === 'https:') return url;
  return url.protocol === 'http:' && LOOPBACK.test(url.hostname) ? url : null;
}

/** Said under a URL setting that parseHttpUrl refused. */
export const HTTPS_ONLY = 'an https URL (plain http only to this machine: localhost, 127.0.0.1, [::1])';
