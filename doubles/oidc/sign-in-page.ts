/** The double's sign-in page: plain HTML, every value escaped. */

const esc = (x: string) => x.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The sandbox's "identity provider login": pick a person, tick MFA, sign in. The person the client named in
 * `login_hint` (OIDC Core 3.1.2.1: the e-mail they are expected to sign in with) is picked already.
 */
export function signInForm(q: URLSearchParams, people: Array<{ sub: string; email: string; name: string }>): string {
  const hidden = [...q.entries()].map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  const hint = q.get('login_hint')?.toLowerCase();
  const hinted = Math.max(
    0,
    people.findIndex((p) => p.email.toLowerCase() === hint),
  );
  const options = people
    .map(
      (p, i) =>
        `<label><input type="radio" name="who" value="${esc(p.sub)}"${i === hinted ? ' checked' : ''}> ${esc(p.name)} &lt;${esc(p.email)}&gt;</label><br>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in (OIDC double)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}</style></head>
<body><h1>Sign in</h1><p>The sandbox's identity provider. Who are you?</p>
<form method="post" action="/authorize">${hidden}${options}<p><label><input type="checkbox" name="mfa" checked> with a second factor (MFA)</label></p>
<button type="submit">Sign in</button></form></body></html>`;
}
