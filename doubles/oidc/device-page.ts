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
