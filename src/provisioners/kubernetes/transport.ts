import http from 'node:http';
import https from 'node:https';

export interface KubeResponse {
  status: number;
  body: string;
}

export type KubeSend = (
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: string,
) => Promise<KubeResponse>;

export const KUBE_TIMEOUT_MS = 15_000;

/**
 * node:http(s) rather than fetch: Node 20's fetch cannot be given a private CA without the undici
 * package (not a dependency), and clusters usually have one. Using it for every call keeps one code
 * path whether or not `ca_cert` is set.
 */
export function nodeTransport(ca: string | undefined): KubeSend {
  return (method, url, headers, body) =>
    new Promise<KubeResponse>((resolve, reject) => {
      const allHeaders =
        body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
      const options: https.RequestOptions = { method, headers: allHeaders, timeout: KUBE_TIMEOUT_MS };
      if (ca !== undefined && url.protocol === 'https:') options.ca = ca;
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${KUBE_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}

/** For callers that inject their own fetch; not used when `ca_cert` is set, since fetch cannot carry a CA. */
export function fetchTransport(f: typeof fetch): KubeSend {
  return async (method, url, headers, body) => {
    const res = await f(url, { method, headers, body, signal: AbortSignal.timeout(KUBE_TIMEOUT_MS) });
    return { status: res.status, body: await res.text() };
  };
}
