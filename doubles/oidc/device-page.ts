import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DevicePerson, DeviceGrants } from './device-grant.js';
import type { OidcCall } from './types.js';

/** The double's device verification pages (RFC 8628 §3.3): plain HTML, every value escaped, forms posting to /device. */

const esc = (x: string) => x.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const shell = (
  title: string,
  body: string,
) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} (OIDC double)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}input[name=user_code]{font:1.2rem monospace;letter-spacing:.1em}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`;

/** "Enter the code your device shows", when the person opened verification_uri without the code. */
export function enterCodePage(error: string | null): string {
  return shell(
    'Connect a device',
    `${error ? `<p role="alert">${esc(error)}</p>` : ''}<p>Enter the code shown on your device.</p>
<form method="get" action="/device"><input name="user_code" autocomplete="off" autofocus placeholder="XXXX-XXXX"> <button type="submit">Next</button></form>`,
  );
}

/** Who are you, and do you let this device sign in as you? (the code is checked already). */
export function decidePage(
  userCode: string,
  clientId: string,
  people: Array<{ sub: string; email: string; name: string }>,
): string {
  const options = people
    .map(
      (p, i) =>
        `<label><input type="radio" name="who" value="${esc(p.sub)}"${i === 0 ? ' checked' : ''}> ${esc(p.name)} &lt;${esc(p.email)}&gt;</label><br>`,
    )
    .join('');
  return shell(
    'Connect a device',
    `<p>The application <b>${esc(clientId)}</b> asks to sign in as you with the code <b>${esc(userCode)}</b>. Check that your device shows the same code.</p>
<form method="post" action="/device"><input type="hidden" name="user_code" value="${esc(userCode)}">
<p>Who are you?</p>${options}<p><label><input type="checkbox" name="mfa" checked> with a second factor (MFA)</label></p>
<button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}

export function donePage(approved: boolean): string {
  return shell(
    approved ? 'Device connected' : 'Request denied',
    `<p>${approved ? 'You are signed in on your device. You may close this window.' : 'The device was not signed in. You may close this window.'}</p>`,
  );
}

/**
 * `POST /device_authorization` (a client starts a grant) and `/device` (the person's pages), answered on
 * `res`. `form` is the POST body or the query; `auth` how the client authenticated (device_authorization only).
 */
export function deviceEndpoint(ctx: {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  form: URLSearchParams;
  auth: { id: string | null; how: OidcCall['clientAuth'] } | null;
  issuer: string;
  devices: DeviceGrants;
  people: Array<DevicePerson & { name: string }>;
  /** Seconds, the world's clock (auth_time). */
  now: number;
  record: (status: number, extra?: Partial<OidcCall>) => void;
}): void {
  const { req, res, form, auth, devices, people, record } = ctx;
  const json = (status: number, body: unknown) => {
    record(status, auth ? { clientAuth: auth.how } : {});
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const page = (status: number, html: string) => {
    record(status);
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    });
    res.end(html);
  };
  if (ctx.url.pathname === '/device_authorization') {
    if (req.method !== 'POST') return json(405, { error: 'invalid_request' });
    if (!auth?.id) return json(401, { error: 'invalid_client' });
    const scope = form.get('scope') ?? 'openid';
    if (!scope.split(' ').includes('openid')) return json(400, { error: 'invalid_scope' });
    const started = devices.start(auth.id, scope);
    return json(200, {
      device_code: started.deviceCode,
      user_code: started.userCode,
      verification_uri: `${ctx.issuer}/device`,
      verification_uri_complete: `${ctx.issuer}/device?user_code=${encodeURIComponent(started.userCode)}`,
      expires_in: started.expiresIn,
      interval: started.interval,
    });
  }
  if (req.method !== 'GET' && req.method !== 'POST') return page(405, enterCodePage(null));
  const typed = form.get('user_code');
  if (typed === null) return page(200, enterCodePage(null));
  const code = devices.pending(typed);
  if (!code) return page(400, enterCodePage('That code is not valid, was used already, or has expired.'));
  if (req.method === 'GET') return page(200, decidePage(code.userCode, code.clientId, people));
  if (form.get('decision') !== 'approve') {
    devices.decide(typed, { approved: false });
    return page(200, donePage(false));
  }
  const person = people.find((p) => p.sub === form.get('who'));
  if (!person) return page(400, decidePage(code.userCode, code.clientId, people));
  const signedIn = { ...person, amr: form.get('mfa') === 'on' ? ['pwd', 'otp'] : ['pwd'] };
  devices.decide(typed, { approved: true, user: signedIn, authTime: ctx.now });
  return page(200, donePage(true));
}
