import { readdir, readFile } from 'node:fs/promises';
import type postgres from 'postgres';
import { rssMiB } from '../test/support/bot-process.js';

/**
 * Where the CPU goes during a benchmark phase, from Linux /proc: user + system time of each bot
 * replica, the proxy, this process (the Slack double, the webhook target and the load driver), the
 * PostgreSQL backends serving the bench database, the rest of the PostgreSQL server, and what the whole
 * machine spent (other work on it included). Sampled every `everyMs`, so a backend that exits mid-phase
 * keeps the time it was last seen with; also the replicas' peak RSS and how many of the bench database's
 * backends wait on a lock (the audit chain's advisory lock above all).
 */
const TICK = 100; // USER_HZ: clock ticks per second in /proc/*/stat on Linux (getconf CLK_TCK)

async function ticksOf(pid: number): Promise<{ comm: string; ticks: number } | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  // comm is in parentheses and may hold spaces: the fields that follow are counted from its end.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU seconds (user + system) a live process has used so far; null once it is gone. */
export async function cpuSecondsOf(pid: number): Promise<number | null> {
  const t = await ticksOf(pid);
  return t ? t.ticks / TICK : null;
}

async function machineBusyTicks(): Promise<{ busy: number; total: number }> {
  const [cpu] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const f = cpu!.split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total }; // idle and iowait are not busy
}

export interface CpuShares {
  wallSeconds: number;
  /** CPU seconds per process group, in the order they should be shown. */
  seconds: Array<[group: string, seconds: number]>;
  /** CPU seconds the whole machine was busy, and the CPU seconds it had (cores × wall). */
  machineBusy: number;
  machineCapacity: number;
  /** Mean number, per sample, of the bench database's backends (connected), and of those waiting on a lock: the audit chain's advisory lock, or any other (rows). */
  backends: number;
  auditLockWaits: number;
  otherLockWaits: number;
  rssPeak: number[];
}

export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { group: string; ticks: number }>();
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private self = process.cpuUsage();
  private machine = { busy: 0, total: 0 };
  private samples = 0;
  private backends = 0;
  private auditWaits = 0;
  private otherWaits = 0;
  private readonly peaks: number[];
  private readonly others = new Set<number>();

  constructor(
    private readonly sql: postgres.Sql,
    private readonly groups: { bots: number[]; proxy: number },
  ) {
    this.peaks = groups.bots.map(() => 0);
  }

  private async sample(initial: boolean) {
    const ours = await this
      .sql`select pid, wait_event_type, wait_event from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    const backends = new Set(ours.map((r) => r.pid as number));
    this.samples += 1;
    this.backends += ours.length;
    this.auditWaits += ours.filter((r) => r.wait_event_type === 'Lock' && r.wait_event === 'advisory').length;
    this.otherWaits += ours.filter((r) => r.wait_event_type === 'Lock' && r.wait_event !== 'advisory').length;
    const postgresPids: number[] = [];
    for (const name of await readdir('/proc')) {
      const pid = Number(name);
      if (
        !Number.isInteger(pid) ||
        this.others.has(pid) ||
        this.groups.bots.includes(pid) ||
        pid === this.groups.proxy ||
        pid === process.pid
      )
        continue;
      // A process's name does not change: each other process is read once, so sampling stays cheap.
      if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'postgres') postgresPids.push(pid);
      else this.others.add(pid);
    }
    const tracked: Array<[number, string]> = [
      ...this.groups.bots.map((pid, i) => [pid, `bot replica ${i + 1}`] as [number, string]),
      [this.groups.proxy, 'round-robin proxy'],
      ...postgresPids.map(
        (pid) =>
          [
            pid,
            backends.has(pid)
              ? 'PostgreSQL backends of the bench database'
              : 'rest of the PostgreSQL server (WAL writer, checkpointer, other databases)',
          ] as [number, string],
      ),
    ];
    for (const [pid, group] of tracked) {
      const t = await ticksOf(pid);
      if (!t) continue;
      // A process first seen after the start began within the phase: all its time counts.
      if (!this.first.has(pid)) this.first.set(pid, initial ? t.ticks : 0);
      const known = this.last.get(pid);
      // A backend stays in the group it was first seen in (a pooled connection does not change database).
      this.last.set(pid, { group: known?.group ?? group, ticks: t.ticks });
    }
    for (const [i, pid] of this.groups.bots.entries())
      this.peaks[i] = Math.max(this.peaks[i]!, await rssMiB(pid).catch(() => 0));
  }

  async start(everyMs = 250) {
    this.started = performance.now();
    this.self = process.cpuUsage();
    this.machine = await machineBusyTicks();
    await this.sample(true);
    const tick = () => {
      this.timer = setTimeout(() => void this.sample(false).then(tick, tick), everyMs);
    };
    tick();
  }

  async stop(): Promise<CpuShares> {
    clearTimeout(this.timer);
    await this.sample(false);
    const wallSeconds = (performance.now() - this.started) / 1000;
    const machine = await machineBusyTicks();
    const self = process.cpuUsage(this.self);
    const byGroup = new Map<string, number>();
    for (const [pid, { group, ticks }] of this.last)
      byGroup.set(group, (byGroup.get(group) ?? 0) + (ticks - this.first.get(pid)!) / TICK);
    const order = [...this.groups.bots.map((_, i) => `bot replica ${i + 1}`), 'round-robin proxy'];
    const seconds: Array<[string, number]> = [
      ...order.map((g) => [g, byGroup.get(g) ?? 0] as [string, number]),
      ['bench process (Slack double, webhook target, load driver)', (self.user + self.system) / 1e6],
      ...[...byGroup].filter(([g]) => !order.includes(g)).sort((a, b) => b[1] - a[1]),
    ];
    const cores = (machine.total - this.machine.total) / TICK / wallSeconds;
    return {
      wallSeconds,
      seconds,
      machineBusy: (machine.busy - this.machine.busy) / TICK,
      machineCapacity: cores * wallSeconds,
      backends: this.backends / this.samples,
      auditLockWaits: this.auditWaits / this.samples,
      otherLockWaits: this.otherWaits / this.samples,
      rssPeak: this.peaks,
    };
  }
}
