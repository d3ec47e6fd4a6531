import type { LoginMethodsDto } from '../../domain/device-login.js';
import { CliFailure, type CliIo } from './cli-io.js';

/**
 * The CLI's half of the device login (RFC 8628) through openid-client: discovery of the provider the bot
 * names, the device authorization request as the operator's public CLI client, "open this URL and enter
 * this code", then polling the token endpoint (openid-client waits `interval` between polls and adds 5 s on
 * `slow_down`, RFC 8628 §3.5) until the person approves, denies, or the code expires. Returns the ID token.
 */

/** http:// issuers only on this machine (the sandbox's provider double, a local Keycloak). */
const isLocal = (url: URL) => url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

/** The provider's refusal as a sentence (oauth4webapi's ResponseBodyError carries the RFC 8628 code). */
function refusal(error: unknown): CliFailure {
  const chain: Array<{ error?: unknown; name?: string; code?: string }> = [];
  for (let e = error; e && typeof e === 'object' && chain.length < 4; e = (e as { cause?: unknown }).cause)
    chain.push(e as never);
  const oauth = chain.find((e) => typeof e.error === 'string')?.error as string | undefined;
  if (oauth === 'access_denied')
    return new CliFailure('The login was denied at the identity provider; nothing was saved.');
  if (oauth === 'expired_token' || chain.some((e) => e.name === 'TimeoutError'))
    return new CliFailure('The code expired before anyone approved it: run access-requests login again.');
  if (oauth) return new CliFailure(`The identity provider refused the login (${oauth}).`);
  return new CliFailure('The identity provider could not be reached or answered in a way that could not be verified.');
}

export async function deviceIdToken(io: CliIo, device: NonNullable<LoginMethodsDto['device']>): Promise<string> {
  const issuer = new URL(device.issuer);
  if (issuer.protocol !== 'https:' && !isLocal(issuer))
    throw new CliFailure(
      `The bot names an identity provider without https (${issuer.origin}); refusing to log in through it.`,
    );
  const client = await import('openid-client');
  let config;
  try {
    config = await client.discovery(issuer, device.client_id, { token_endpoint_auth_method: 'none' }, client.None(), {
      execute: isLocal(issuer) ? [client.allowInsecureRequests] : [],
      timeout: 15,
    });
  } catch (error) {
    throw new CliFailure(
      `Could not read the identity provider's configuration at ${issuer.origin} (${(error as Error).message.split('\n')[0]}).`,
    );
  }
  if (!config.serverMetadata().device_authorization_endpoint)
    throw new CliFailure(
      `The identity provider ${issuer.origin} does not offer device login (no device_authorization_endpoint).`,
    );
  let started;
  try {
    started = await client.initiateDeviceAuthorization(config, { scope: device.scope });
  } catch (error) {
    throw refusal(error);
  }
  io.stderr.write(
    `To log in, open ${started.verification_uri} and enter the code ${started.user_code}\n` +
      (started.verification_uri_complete ? `(or open ${started.verification_uri_complete})\n` : '') +
      'Waiting for you to approve it there…\n',
  );
  const controller = new AbortController();
  io.onInterrupt(() => {
    controller.abort();
    io.stderr.write('\nLogin stopped; nothing was saved.\n');
  });
  try {
    const tokens = await client.pollDeviceAuthorizationGrant(config, started, undefined, {
      signal: AbortSignal.any([controller.signal, AbortSignal.timeout(started.expires_in * 1000)]),
    });
    if (!tokens.id_token)
      throw new CliFailure('The identity provider answered without an ID token (is "openid" in the scope?).');
    return tokens.id_token;
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    throw refusal(error);
  } finally {
    io.onInterrupt(null);
  }
}
