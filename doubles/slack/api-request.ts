/**
 * How a Web API call arrives (platform doc §3.1): form-encoded with object args JSON-stringified in
 * a field (what WebClient sends), or a JSON body; the token as `Authorization: Bearer …` or a `token`
 * field. Decoded here into the method's arguments, separately from what the method then does.
 */

/** Args that WebClient JSON-stringifies into a form field (doc §3.1 `serializeApiCallData`). */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

export interface ApiRequest {
  args: Record<string, unknown>;
  token: string | undefined;
  /** Slack's error for a body it cannot read (`invalid_json`, `invalid_form_data`). */
  parseError: string | undefined;
}

/** `query`: the URL's query string; Slack reads arguments there too (a body field wins). */
export function readApiRequest(contentType: string, authorization: string, raw: string, query = ''): ApiRequest {
  const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(query));
  let parseError: string | undefined;
  if (contentType.startsWith('application/json')) {
    try {
      const parsed: unknown = raw === '' ? {} : JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(args, parsed);
      else parseError = 'invalid_json';
    } catch {
      parseError = 'invalid_json';
    }
  } else if (contentType === '' || contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(raw)) {
      let value: unknown = v;
      if (JSON_FIELDS.has(k)) {
        try {
          value = JSON.parse(v);
        } catch {
          /* keep the string: the method reports the format error */
        }
      }
      args[k] = value;
    }
  } else {
    parseError = 'invalid_form_data';
  }
  const token = authorization.startsWith('Bearer ')
    ? authorization.slice(7)
    : typeof args.token === 'string'
      ? args.token
      : undefined;
  delete args.token;
  delete args.team_id; // Bolt adds team_id to every call (doc §0.8); Slack ignores it for single-workspace tokens.
  return { args, token, parseError };
}
