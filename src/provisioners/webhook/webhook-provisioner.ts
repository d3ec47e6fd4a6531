import { Webhook } from 'standardwebhooks';
import type { GrantContext, Provisioner } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { isSecretRef } from '../secrets.js';
import { HTTPS_ONLY, parseHttpUrl } from '../http-url.js';

export type WebhookEventType = 'grant.activated' | 'grant.extended' | 'grant.revoked';

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_INSTRUCTIONS = 500;

/**
 * Signs a payload per the Standard Webhooks spec and returns the three headers to send with it.
 * `secret` is `whsec_<base64>`; kept separate from the provisioner so an audit stream can reuse it.
 */
export function signWebhookEvent(
  secret: string,
  id: string,
  payload: string,
  date: Date,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(date.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, date, payload),
  };
}

/**
 * Stable per grant and event so a retried delivery is recognisably the same message (receivers
 * dedupe on webhook-id); an extension also carries its new end, since one grant can be extended twice.
 */
function messageId(ctx: GrantContext, event: WebhookEventType): string {
  return event === 'grant.extended' ? `${ctx.grantId}.${event}.${ctx.expiresAt.getTime()}` : `${ctx.grantId}.${event}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function instructionsFrom(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { instructions?: unknown } | null;
    const text = parsed && typeof parsed === 'object' ? parsed.instructions : undefined;
    return typeof text === 'string' && text.trim() !== '' ? truncate(text.trim(), MAX_INSTRUCTIONS) : undefined;
  } catch {
    return undefined; // Receivers owe us no JSON; a plain "ok" is fine.
  }
}

export function createWebhookProvisioner(opts: { fetch?: typeof fetch; timeoutMs?: number } = {}): Provisioner {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function deliver(
    ctx: GrantContext,
    event: WebhookEventType,
  ): Promise<{ state: Record<string, unknown>; body: string }> {
    const url = parseHttpUrl(ctx.settings.url);
    if (!url) throw new PermanentProvisioningError(`webhook settings: url must be ${HTTPS_ONLY}`);
    const secret = ctx.settings.secret;
    if (typeof secret !== 'string' || !secret.startsWith('whsec_')) {
      throw new PermanentProvisioningError(
        'webhook settings: secret must resolve to a Standard Webhooks secret (whsec_…)',
      );
    }
    // The URL's path or query may itself be a credential: errors and state name only the host.
    const host = url.host;
    const id = messageId(ctx, event);
    const now = new Date();
    const payload = JSON.stringify({
      type: event,
      timestamp: now.toISOString(),
      data: {
        grant_id: ctx.grantId,
        request_id: ctx.requestId,
        requester: { slack_id: ctx.requesterId, email: ctx.requesterEmail },
        resource: { name: ctx.resource.name, type: ctx.resource.type },
        policy: ctx.grant,
        starts_at: ctx.startsAt.toISOString(),
        expires_at: ctx.expiresAt.toISOString(),
      },
    });
    let signed: Record<string, string>;
    try {
      signed = signWebhookEvent(secret, id, payload, now);
    } catch {
      throw new PermanentProvisioningError(
        'webhook settings: secret is not a valid Standard Webhooks secret (whsec_ followed by base64)',
      );
    }

    let status: number;
    let body: string;
    try {
      const res = await (opts.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { ...signed, 'content-type': 'application/json', 'user-agent': 'access-requests-for-slack' },
        body: payload,
        // A redirect would replay a signed grant to an address nobody configured.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      body = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw new Error(`webhook ${event} to ${host}: no answer within ${timeoutMs} ms`);
      throw new Error(`webhook ${event} to ${host} failed: ${e.cause?.message ?? e.message}`);
    }

    if (status >= 200 && status < 300) return { state: { url_host: host, last_message_id: id }, body };
    const detail = body.trim() === '' ? '' : `: ${truncate(body.trim(), 200)}`;
    const message = `webhook ${event} to ${host} answered ${status}${detail}`;
    // Timeouts, rate limits and server trouble pass; any other refusal will be repeated on retry.
    if (status === 408 || status === 429 || status >= 500) throw new Error(message);
    throw new PermanentProvisioningError(message);
  }

  return {
    type: 'webhook',

    validateSettings(settings) {
      if (!parseHttpUrl(settings.url)) return `url must be ${HTTPS_ONLY}, e.g. https://hooks.example.com/access`;
      if (!isSecretRef(settings.secret))
        return 'secret must be a secret reference (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR) to a whsec_… signing secret, never the secret itself';
      return null;
    },

    async provision(ctx) {
      const { state, body } = await deliver(ctx, 'grant.activated');
      const instructions = instructionsFrom(body);
      return instructions === undefined ? { state } : { state, instructions };
    },

    async extend(ctx, state) {
      const delivered = await deliver(ctx, 'grant.extended');
      return { state: { ...state, ...delivered.state } };
    },

    async deprovision(ctx) {
      await deliver(ctx, 'grant.revoked');
    },
  };
}
