import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { EntraState } from './state.js';

/**
 * The Microsoft identity platform endpoints MSAL uses for the client-credentials flow: the tenant's
 * OpenID configuration and its v2.0 token endpoint, with the AADSTS errors Entra answers with.
 */

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/** Entra's OAuth error body: `error`, an AADSTS description with trace lines, and the codes. */
function oauthError(res: ServerResponse, status: number, error: string, aadsts: number, description: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  send(res, status, {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  });
}

const equalSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export interface LoginDeps {
  state: EntraState;
  origin: string;
  nowSeconds(): number;
}

/** Handles a login request, or returns false when the path is not one of these endpoints. */
export function handleLogin(deps: LoginDeps, method: string, path: string, body: string, res: ServerResponse): boolean {
  const { state, origin } = deps;
  const metadata = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
  const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
  if (!metadata && !token) return false;
  const tenant = decodeURIComponent((metadata ?? token)![1]!);
  if (tenant !== state.tenantId) {
    // Entra answers an unknown tenant with 400 on both endpoints; MSAL reports it as endpoint resolution failing.
    oauthError(
      res,
      400,
      metadata ? 'invalid_tenant' : 'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
    return true;
  }
  if (metadata) {
    if (method !== 'GET') return (send(res, 405, { error: 'method_not_allowed' }), true);
    const base = `${origin}/${state.tenantId}`;
    send(res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${origin}/${state.tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'tid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
    });
    return true;
  }

  if (method !== 'POST')
    return (oauthError(res, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.'), true);
  const fault = EntraState.takeFault(state.tokenFaults, method, path);
  if (fault) {
    if (fault.status >= 500)
      return (send(res, fault.status, { error: 'temporarily_unavailable', error_description: fault.message }), true);
    return (oauthError(res, fault.status, fault.code, 50000, fault.message), true);
  }
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'client_credentials') {
    return (
      oauthError(
        res,
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`,
      ),
      true
    );
  }
  const clientId = form.get('client_id') ?? '';
  const app = state.apps.get(clientId);
  if (!app) {
    return (
      oauthError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${state.tenantId}'.`,
      ),
      true
    );
  }
  if (!equalSecret(form.get('client_secret') ?? '', app.secret)) {
    return (
      oauthError(
        res,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      ),
      true
    );
  }
  const scope = form.get('scope') ?? '';
  const resource = scope
    .split(' ')
    .find((s) => s.endsWith('/.default'))
    ?.slice(0, -'/.default'.length);
  if (!resource) {
    return (
      oauthError(
        res,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      ),
      true
    );
  }
  if (resource !== state.audience) {
    return (
      oauthError(
        res,
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${state.tenantId}.`,
      ),
      true
    );
  }
  send(res, 200, {
    token_type: 'Bearer',
    expires_in: state.tokenLifetime,
    ext_expires_in: state.tokenLifetime,
    access_token: state.issueToken(app, deps.nowSeconds()),
  });
  return true;
}
