// The sandbox's JSON API on the bot's server (sandbox/api.ts). Failures come back as a sentence.

export async function getState(user) {
  const res = await fetch(`/sandbox/api/state?user=${encodeURIComponent(user)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error ?? `HTTP ${res.status}`);
  return res.json();
}

/** POST /sandbox/api/<path>; resolves to the answer, or rejects with the reason the server gave. */
export async function post(path, body) {
  const res = await fetch(`/sandbox/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }));
  if (!res.ok || answer.ok === false) throw new Error(answer.error ?? `HTTP ${res.status}`);
  return answer;
}
