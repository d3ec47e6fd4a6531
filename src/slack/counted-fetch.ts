/** How one HTTP call to Slack ended: `ok`, Slack's error code (`ratelimited`, `not_in_channel`…), `http_500`… */
export type SlackCallListener = (method: string, outcome: string) => void;

type Fetch = typeof globalThis.fetch;

/** Slack method names (`chat.postMessage`) and error codes (`not_in_channel`) look like these; anything else is folded. */
const METHOD = /^[a-z]+(\.[a-zA-Z0-9]+)+$/;
const ERROR_CODE = /^[a-z0-9_]{1,64}$/;

/**
 * A `fetch` for WebClient's `fetch` option that reports every HTTP call to Slack. WebClient emits
 * nothing per call, and Bolt makes its own WebClients (one per token, for listeners) from the same
 * `clientOptions`, and uses the option for `respond()` too: the transport is the one seam all of them
 * share. Each HTTP attempt counts, so a 429 followed by WebClient's retry is one `ratelimited` and one
 * `ok`. Labels stay bounded: the method comes from the URL's last segment only when it looks like a
 * method name; posts to a response_url (the only other URL these clients post to) are `response_url`.
 */
export function countedFetch(onCall: SlackCallListener, base: Fetch = globalThis.fetch): Fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = methodOf(url);
    let response: Response;
    try {
      response = await base(input, init);
    } catch (error) {
      onCall(
        method,
        (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError'
          ? 'timeout'
          : 'network_error',
      );
      throw error;
    }
    onCall(method, await outcomeOf(response));
    return response;
  };
}

function methodOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return 'other';
  }
  const last = path.slice(path.lastIndexOf('/') + 1);
  return path.includes('/api/') && METHOD.test(last) ? last : 'response_url';
}

async function outcomeOf(response: Response): Promise<string> {
  if (response.status === 429) return 'ratelimited';
  if (response.status !== 200) return `http_${response.status}`;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return 'ok';
  // A clone, so WebClient still reads the body itself; Slack's JSON answers are small.
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { ok?: unknown; error?: unknown } | null;
  if (!body || body.ok !== false) return 'ok';
  return typeof body.error === 'string' && ERROR_CODE.test(body.error) ? body.error : 'unknown_error';
}
