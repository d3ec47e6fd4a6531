import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { ProviderState } from './provider-state.js';
import type { OidcCall } from './types.js';

export interface ClientAuthentication {
  /** The client that proved who it is, or null. */
  id: string | null;
  how: OidcCall['clientAuth'];
}

/**
 * How a request to /token or /device_authorization authenticates its client: client_secret_basic,
 * client_secret_post, or a public client (none) when the client has no secret or is one of `deviceClients`.
 */
export function clientAuth(
  state: ProviderState,
  req: http.IncomingMessage,
  form: URLSearchParams,
): ClientAuthentication {
  const { options, clientSecret } = state;
  const header = req.headers.authorization;
  const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  if (header?.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(header.slice(6), 'base64')
      .toString('utf8')
      .split(':')
      .map((x) => decodeURIComponent(x));
    return clientSecret && id === options.clientId && same(secret ?? '', clientSecret)
      ? { id: id!, how: 'basic' }
      : { id: null, how: 'bad' };
  }
  if (form.has('client_secret')) {
    return clientSecret && form.get('client_id') === options.clientId && same(form.get('client_secret')!, clientSecret)
      ? { id: options.clientId, how: 'post' }
      : { id: null, how: 'bad' };
  }
  // A public client proves nothing but its id; PKCE (or the device code) is what binds the grant to it.
  const id = form.get('client_id');
  if (id && options.deviceClients?.includes(id)) return { id, how: 'none' };
  return !clientSecret && id === options.clientId ? { id: options.clientId, how: 'none' } : { id: null, how: 'bad' };
}
