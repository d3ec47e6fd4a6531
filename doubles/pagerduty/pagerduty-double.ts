import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { scheduleAt, type Override, type Rotation } from '../support/on-call-rotation.js';

/**
 * A local stand-in for PagerDuty REST API v2's `GET /oncalls` (and `GET /schedules/{id}`): users,
 * schedules made of rotation layers in a time zone (plus overrides), escalation policies whose levels
 * point at schedules or users. Checks `Authorization: Token token=…` (401 with PagerDuty's error body
 * otherwise), pages with limit/offset/more, and has switches for 429 (with ratelimit-* headers) and
 * 5xx. See README.md beside this file for what it does not model.
 */
export interface PdUser {
  id: string;
  name: string;
  email: string;
}
export interface PdSchedule {
  id: string;
  name: string;
  timeZone: string;
  layers: Rotation[];
  overrides: Override[];
}
export interface PdEscalationPolicy {
  id: string;
  name: string;
  /** Level 1 first; each level's targets: schedule ids or user ids. */
  rules: { targets: { type: 'schedule' | 'user'; id: string }[] }[];
}

export interface PagerDutyRequest {
  path: string;
  query: URLSearchParams;
  authorized: boolean;
  /** The Accept header (PagerDuty's v2 media type is `application/vnd.pagerduty+json;version=2`). */
  accept: string | null;
  status: number;
}

export interface PagerDutyDouble {
  url: string;
  requests: PagerDutyRequest[];
  users: Map<string, PdUser>;
  schedules: Map<string, PdSchedule>;
  policies: Map<string, PdEscalationPolicy>;
  addUser(u: PdUser): void;
  addSchedule(s: Omit<PdSchedule, 'overrides'> & { overrides?: Override[] }): void;
  addPolicy(p: PdEscalationPolicy): void;
  /** Someone covers a schedule from `start` to `end` (PagerDuty's schedule override). */
  override(scheduleId: string, o: Override): void;
  clearOverrides(scheduleId: string): void;
  /** The next `n` calls answer 429 with ratelimit-reset `resetSeconds`. */
  rateLimitNext(n: number, resetSeconds?: number): void;
  /** The next `n` calls answer `status` (5xx). */
  failNext(n: number, status?: number): void;
  /** Every call answers 503 until set back to false. */
  setDown(down: boolean): void;
  stop(): Promise<void>;
}

const ref = (type: string, id: string, summary: string, base: string) => ({
  id,
  type,
  summary,
  self: `${base}/${type.replace('_reference', '')}s/${id}`,
  html_url: `https://example.pagerduty.com/${type.replace('_reference', '')}s/${id}`,
});

export async function startPagerDutyDouble(options: { token: string; pageSize?: number }): Promise<PagerDutyDouble> {
  const users = new Map<string, PdUser>();
  const schedules = new Map<string, PdSchedule>();
  const policies = new Map<string, PdEscalationPolicy>();
  const requests: PagerDutyRequest[] = [];
  const pageSize = options.pageSize ?? 25;
  let limited = { left: 0, reset: 1 };
  let failures = { left: 0, status: 500 };
  let down = false;
  let base = '';

  const error = (status: number, message: string, code: number, errors: string[] = []) => ({
    status,
    body: { error: { message, code, ...(errors.length ? { errors } : {}) } },
  });

  function userJson(u: PdUser, full: boolean) {
    const r = ref('user_reference', u.id, u.name, base);
    return full ? { ...r, type: 'user', name: u.name, email: u.email, time_zone: 'Etc/UTC', role: 'user' } : r;
  }

  /** Every on-call entry at `at`: per policy level, each schedule's current person or the named user. */
  function oncallsAt(at: Date, includeUsers: boolean) {
    const out: Record<string, unknown>[] = [];
    for (const p of policies.values()) {
      p.rules.forEach((rule, i) => {
        for (const t of rule.targets) {
          if (t.type === 'user') {
            const u = users.get(t.id);
            if (u) out.push({ policy: p, level: i + 1, schedule: null, user: u, start: null, end: null });
            continue;
          }
          const s = schedules.get(t.id);
          const turn = s ? scheduleAt(s.layers, s.overrides, at) : null;
          const u = turn ? users.get(turn.member) : undefined;
          if (s && turn && u)
            out.push({
              policy: p,
              level: i + 1,
              schedule: s,
              user: u,
              start: turn.start.toISOString(),
              end: turn.end.toISOString(),
            });
        }
      });
    }
    return out.map((e) => {
      const { policy, level, schedule, user, start, end } = e as {
        policy: PdEscalationPolicy;
        level: number;
        schedule: PdSchedule | null;
        user: PdUser;
        start: string | null;
        end: string | null;
      };
      return {
        escalation_policy: ref('escalation_policy_reference', policy.id, policy.name, base),
        escalation_level: level,
        schedule: schedule ? ref('schedule_reference', schedule.id, schedule.name, base) : null,
        user: userJson(user, includeUsers),
        start,
        end,
      };
    });
  }

  function route(
    path: string,
    q: URLSearchParams,
  ): { status: number; body: unknown; headers?: Record<string, string> } {
    if (path === '/oncalls') {
      const since = q.get('since') ? new Date(q.get('since')!) : new Date();
      const until = q.get('until') ? new Date(q.get('until')!) : since;
      if (Number.isNaN(since.getTime()) || Number.isNaN(until.getTime()))
        return error(400, 'Invalid Input Provided', 2001, ['Since or until is not a valid date']);
      if (until.getTime() < since.getTime())
        return error(400, 'Invalid Input Provided', 2001, ['Until must be after since']);
      const scheduleIds = q.getAll('schedule_ids[]');
      const policyIds = q.getAll('escalation_policy_ids[]');
      const include = q.getAll('include[]');
      // Simplification: who is on call at `since` (README.md).
      const all = oncallsAt(since, include.includes('users')).filter(
        (o) =>
          (scheduleIds.length === 0 || (o.schedule && scheduleIds.includes(o.schedule.id))) &&
          (policyIds.length === 0 || policyIds.includes(o.escalation_policy.id)),
      );
      const limit = Math.min(Number(q.get('limit') ?? pageSize) || pageSize, pageSize);
      const offset = Number(q.get('offset') ?? 0) || 0;
      const page = all.slice(offset, offset + limit);
      return { status: 200, body: { oncalls: page, limit, offset, more: offset + limit < all.length, total: null } };
    }
    const m = /^\/schedules\/([A-Z0-9]+)$/.exec(path);
    if (m) {
      const s = schedules.get(m[1]!);
      if (!s) return error(404, 'Not Found', 2100);
      return {
        status: 200,
        body: {
          schedule: {
            ...ref('schedule_reference', s.id, s.name, base),
            type: 'schedule',
            name: s.name,
            time_zone: s.timeZone,
          },
        },
      };
    }
    return error(404, 'Not Found', 2100);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, authorized = false) => {
      requests.push({
        path: url.pathname,
        query: url.searchParams,
        authorized,
        accept: req.headers.accept ?? null,
        status,
      });
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-request-id': randomUUID(),
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    if (down) return send(503, { error: { message: 'Service Unavailable', code: 5003 } });
    const authorized = req.headers.authorization === `Token token=${options.token}`;
    if (!authorized) return send(401, { error: { message: 'Unauthorized', code: 2006 } });
    if (req.method !== 'GET') return send(405, { error: { message: 'Method Not Allowed', code: 2001 } }, {}, true);
    if (limited.left > 0) {
      limited.left -= 1;
      return send(
        429,
        { error: { message: 'Rate Limit Exceeded', code: 2020 } },
        { 'ratelimit-limit': '960', 'ratelimit-remaining': '0', 'ratelimit-reset': String(limited.reset) },
        true,
      );
    }
    if (failures.left > 0) {
      failures.left -= 1;
      return send(failures.status, { error: { message: 'Internal Server Error', code: 5000 } }, {}, true);
    }
    const answer = route(url.pathname, url.searchParams);
    send(answer.status, answer.body, answer.headers, true);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    users,
    schedules,
    policies,
    addUser: (u) => void users.set(u.id, u),
    addSchedule: (s) => void schedules.set(s.id, { ...s, overrides: s.overrides ?? [] }),
    addPolicy: (p) => void policies.set(p.id, p),
    override: (id, o) => schedules.get(id)?.overrides.push(o),
    clearOverrides: (id) => {
      const s = schedules.get(id);
      if (s) s.overrides = [];
    },
    rateLimitNext: (n, resetSeconds = 1) => void (limited = { left: n, reset: resetSeconds }),
    failNext: (n, status = 500) => void (failures = { left: n, status }),
    setDown: (d) => void (down = d),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
