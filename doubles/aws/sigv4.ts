import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Checks an AWS Signature Version 4 the way AWS does for a JSON-protocol service: the signature is
 * recomputed from the canonical request with the caller's secret, independently of the SDK's signer
 * (node:crypto only), so a double that accepted the SDK's own output by construction cannot hide a
 * signing mistake. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SignatureCheck =
  { ok: true; accessKeyId: string } | { ok: false; status: number; type: string; message: string };

const MAX_SKEW_MS = 5 * 60_000;

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** `20260102T030405Z` -> Date, or null when malformed. */
function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const fail = (status: number, type: string, message: string): SignatureCheck => ({ ok: false, status, type, message });

export function verifySigV4(
  req: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer },
  expected: { credentials: AwsCredentials[]; region: string; service: string; now: Date },
): SignatureCheck {
  const auth = headerValue(req.headers, 'authorization');
  if (!auth) return fail(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
    auth.trim(),
  );
  if (!m)
    return fail(
      400,
      'IncompleteSignatureException',
      'Authorization header requires Credential, SignedHeaders and Signature.',
    );
  const [, credential, signedHeadersText, signature] = m as unknown as [string, string, string, string];
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator, ...extra] = credential.split('/');
  if (
    !accessKeyId ||
    !scopeDate ||
    !scopeRegion ||
    !scopeService ||
    terminator !== 'aws4_request' ||
    extra.length > 0
  ) {
    return fail(
      400,
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const known = expected.credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!known) return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');

  const amzDate = headerValue(req.headers, 'x-amz-date');
  const signedAt = amzDate ? parseAmzDate(amzDate) : null;
  if (!amzDate || !signedAt)
    return fail(
      400,
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  if (Math.abs(expected.now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    const nowText = expected.now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    return fail(
      403,
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${nowText} (or later, beyond 5 min.)`,
    );
  }
  if (scopeDate !== amzDate.slice(0, 8))
    return fail(
      403,
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}'`,
    );
  if (scopeRegion !== expected.region)
    return fail(
      403,
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${scopeRegion}'.`,
    );
  if (scopeService !== expected.service)
    return fail(
      403,
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${expected.service}'.`,
    );

  const signedHeaders = signedHeadersText.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return fail(403, 'InvalidSignatureException', "'Host' and 'X-Amz-Date' must be signed headers.");
  }
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(headerValue(req.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const [path, query = ''] = req.path.split('?') as [string, string?];
  const canonicalQuery = query.split('&').filter(Boolean).sort().join('&');
  const canonicalRequest = [
    req.method,
    path || '/',
    canonicalQuery,
    canonicalHeaders,
    signedHeadersText,
    sha256Hex(req.body),
  ].join('\n');
  const scope = `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${known.secretAccessKey}`, scopeDate), scopeRegion), scopeService),
    'aws4_request',
  );
  const computed = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(computed, Buffer.from(signature, 'hex'))) {
    return fail(
      403,
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { ok: true, accessKeyId };
}
