import { randomBytes, randomInt } from 'node:crypto';

/**
 * The double's OAuth 2.0 Device Authorization Grant (RFC 8628): the device authorization endpoint's codes,
 * what a person decides on the verification page, and the token endpoint's answers while polling (§3.5:
 * authorization_pending, slow_down when polled faster than the interval, which then grows by 5 s for that
 * code, expired_token, access_denied; a code that was answered once is gone: invalid_grant).
 */
export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §6.1: letters without vowels (no words) and without look-alikes, 8 of them (~34 bits), shown XXXX-XXXX. */
const USER_CODE_LETTERS = 'BCDFGHJKLMNPQRSTVWXZ';

export interface DevicePerson {
  sub: string;
  email: string;
  emailVerified?: boolean;
  amr?: string[];
}

interface DeviceCode {
  clientId: string;
  userCode: string;
  scope: string;
  expiresAt: number;
  /** Seconds the client must leave between polls (grows by 5 at each slow_down). */
  interval: number;
  lastPoll: number | null;
  decision: { approved: true; user: DevicePerson; authTime: number } | { approved: false } | null;
}

export type PollAnswer =
  | { ok: true; clientId: string; scope: string; user: DevicePerson; authTime: number }
  | { ok: false; error: 'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied' | 'invalid_grant' };

/** What the user typed, as stored: upper case, letters only ("wdjb-mjht" is WDJBMJHT). */
export const normaliseUserCode = (typed: string) => typed.toUpperCase().replace(/[^A-Z]/g, '');
export const showUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

export function createDeviceGrants(options: {
  /** Seconds a code lives (RFC 8628's expires_in). */
  expiresIn: number;
  /** Seconds between polls the client is told (RFC 8628's interval). */
  interval: number;
  /** Milliseconds, real time: polling pace is the client's real pace. */
  now: () => number;
}) {
  const byDeviceCode = new Map<string, DeviceCode>();
  const byUserCode = new Map<string, string>();

  function start(clientId: string, scope: string) {
    let userCode = '';
    do userCode = Array.from({ length: 8 }, () => USER_CODE_LETTERS[randomInt(USER_CODE_LETTERS.length)]).join('');
    while (byUserCode.has(userCode));
    const deviceCode = randomBytes(32).toString('base64url');
    byDeviceCode.set(deviceCode, {
      clientId,
      userCode,
      scope,
      expiresAt: options.now() + options.expiresIn * 1000,
      interval: options.interval,
      lastPoll: null,
      decision: null,
    });
    byUserCode.set(userCode, deviceCode);
    return { deviceCode, userCode: showUserCode(userCode), expiresIn: options.expiresIn, interval: options.interval };
  }

  /** The code a person typed on the verification page, while it can still be decided. */
  function pending(typed: string): { clientId: string; userCode: string; scope: string } | null {
    const deviceCode = byUserCode.get(normaliseUserCode(typed));
    const code = deviceCode ? byDeviceCode.get(deviceCode) : undefined;
    if (!code || code.decision || code.expiresAt <= options.now()) return null;
    return { clientId: code.clientId, userCode: showUserCode(code.userCode), scope: code.scope };
  }

  /** The person's answer on the verification page; false when the code is unknown, decided or expired. */
  function decide(
    typed: string,
    decision: { approved: true; user: DevicePerson; authTime: number } | { approved: false },
  ) {
    const deviceCode = byUserCode.get(normaliseUserCode(typed));
    const code = deviceCode ? byDeviceCode.get(deviceCode) : undefined;
    if (!code || code.decision || code.expiresAt <= options.now()) return false;
    code.decision = decision;
    return true;
  }

  /** One poll of the token endpoint by `clientId` (RFC 8628 §3.4, §3.5). */
  function poll(deviceCode: string, clientId: string): PollAnswer {
    const code = byDeviceCode.get(deviceCode);
    if (!code || code.clientId !== clientId) return { ok: false, error: 'invalid_grant' };
    const now = options.now();
    if (code.expiresAt <= now) {
      forget(deviceCode, code);
      return { ok: false, error: 'expired_token' };
    }
    // Polled before the interval passed (a quarter second of leeway for timers and the network).
    const early = code.lastPoll !== null && now - code.lastPoll < code.interval * 1000 - 250;
    code.lastPoll = now;
    if (early) {
      code.interval += 5;
      return { ok: false, error: 'slow_down' };
    }
    if (!code.decision) return { ok: false, error: 'authorization_pending' };
    forget(deviceCode, code);
    if (!code.decision.approved) return { ok: false, error: 'access_denied' };
    return { ok: true, clientId, scope: code.scope, user: code.decision.user, authTime: code.decision.authTime };
  }

  function forget(deviceCode: string, code: DeviceCode) {
    byDeviceCode.delete(deviceCode);
    byUserCode.delete(code.userCode);
  }

  return { start, pending, decide, poll };
}

export type DeviceGrants = ReturnType<typeof createDeviceGrants>;
