import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { scheduleAt, type Override, type Rotation } from '../support/on-call-rotation.js';

/**
 * A local stand-in for Opsgenie's Schedule API: `GET /v2/schedules/{identifier}/on-calls` and
 * `/next-on-calls` with `scheduleIdentifierType=name|id`, `flat=true` and `date`. Schedules are
 * rotations of e-mails in a time zone (plus overrides). Checks `Authorization: GenieKey …` (401 with
 * Opsgenie's `{message, took, requestId}` body otherwise), 404 for an unknown schedule, and has
 * switches for 429 and 5xx. See README.md beside this file for what it does not model.
 */
export interface OgSchedule {
  id: string;
  name: string;
  enabled: boolean;
  timeZone: string;
  layers: Rotation[];
  overrides: Override[];
}

export interface OpsgenieRequest {
  path: string;
  query: URLSearchParams;
  authorized: boolean;
  status: number;
}

export interface OpsgenieDouble {
  url: string;
  requests: OpsgenieRequest[];
  schedules: Map<string, OgSchedule>;
  addSchedule(
    s: Omit<OgSchedule, 'id' | 'enabled' | 'overrides'> & { id?: string; enabled?: boolean; overrides?: Override[] },
  ): OgSchedule;
  override(name: string, o: Override): void;
  clearOverrides(name: string): void;
  rateLimitNext(n: number): void;
  failNext(n: number, status?: number): void;
  stop(): Promise<void>;
}

export async function startOpsgenieDouble(options: { apiKey: string }): Promise<OpsgenieDouble> {
  const schedules = new Map<string, OgSchedule>();
  const requests: OpsgenieRequest[] = [];
  let limited = 0;
  let failures = { left: 0, status: 500 };
  const started = Date.now();
  const body = (extra: Record<string, unknown>) => ({
    ...extra,
    took: Number((((Date.now() - started) % 1000) / 1000).toFixed(3)),
    requestId: randomUUID(),
  });

  function find(identifier: string, type: string | null): OgSchedule | undefined {
    if (type === 'id') return [...schedules.values()].find((s) => s.id === identifier);
    return schedules.get(identifier);
  }

  function route(path: string, q: URLSearchParams): { status: number; body: unknown } {
    const m = /^\/v2\/schedules\/([^/]+)\/(on-calls|next-on-calls)$/.exec(path);
    if (!m) return { status: 404, body: body({ message: 'Could not find the requested resource.' }) };
    const identifier = decodeURIComponent(m[1]!);
    const type = q.get('scheduleIdentifierType') ?? 'id';
    if (type !== 'id' && type !== 'name')
      return { status: 422, body: body({ message: 'Schedule identifier type is not valid' }) };
    const s = find(identifier, type);
    if (!s) return { status: 404, body: body({ message: `Schedule with identifier [${identifier}] does not exist` }) };
    const at = q.get('date') ? new Date(q.get('date')!) : new Date();
    if (Number.isNaN(at.getTime())) return { status: 422, body: body({ message: 'Date is not valid' }) };
    const flat = q.get('flat') === 'true';
    const parent = { id: s.id, name: s.name, enabled: s.enabled };
    const now = s.enabled ? scheduleAt(s.layers, s.overrides, at) : null;
    if (m[2] === 'on-calls') {
      const recipients = now ? [now.member] : [];
      return {
        status: 200,
        body: body({
          data: flat
            ? { _parent: parent, onCallRecipients: recipients }
            : { _parent: parent, onCallParticipants: recipients.map((r) => ({ name: r, type: 'user' })) },
        }),
      };
    }
    const next = now ? scheduleAt(s.layers, s.overrides, now.end) : null;
    const recipients = next ? [next.member] : [];
    return {
      status: 200,
      body: body({
        data: flat
          ? { _parent: parent, exactNextOnCallRecipients: recipients, nextOnCallRecipients: recipients }
          : {
              _parent: parent,
              exactNextOnCallParticipants: recipients.map((r) => ({ name: r, type: 'user' })),
              nextOnCallParticipants: [],
            },
      }),
    };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, payload: unknown, authorized: boolean, headers: Record<string, string> = {}) => {
      requests.push({ path: url.pathname, query: url.searchParams, authorized, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    const authorized = req.headers.authorization === `GenieKey ${options.apiKey}`;
    if (!authorized) return send(401, body({ message: 'Could not authenticate' }), false);
    if (limited > 0) {
      limited -= 1;
      return send(
        429,
        body({ message: 'You are making too many requests! To avoid errors, we recommend you limit requests.' }),
        true,
        { 'x-ratelimit-state': 'THROTTLED', 'retry-after': '1' },
      );
    }
    if (failures.left > 0) {
      failures.left -= 1;
      return send(failures.status, body({ message: 'Internal Server Error' }), true);
    }
    const answer = route(url.pathname, url.searchParams);
    send(answer.status, answer.body, true);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    schedules,
    addSchedule: (s) => {
      const schedule: OgSchedule = {
        id: s.id ?? randomUUID(),
        enabled: s.enabled ?? true,
        overrides: s.overrides ?? [],
        name: s.name,
        timeZone: s.timeZone,
        layers: s.layers,
      };
      schedules.set(schedule.name, schedule);
      return schedule;
    },
    override: (name, o) => schedules.get(name)?.overrides.push(o),
    clearOverrides: (name) => {
      const s = schedules.get(name);
      if (s) s.overrides = [];
    },
    rateLimitNext: (n) => void (limited = n),
    failNext: (n, status = 500) => void (failures = { left: n, status }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
