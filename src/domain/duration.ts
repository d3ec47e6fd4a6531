/** Durations are whole minutes everywhere in the domain; text forms are "30m", "8h", "1d", "1h30m". */

const UNIT_MINUTES = { m: 1, h: 60, d: 1440, w: 10080 } as const;
const PART = /(\d+)\s*([mhdw])/g;

/** Parses "8h", "30m", "1d", "1h30m", "90m". Returns undefined for anything else (including 0). */
export function parseDuration(text: string): number | undefined {
  const compact = text.trim().toLowerCase().replace(/\s+/g, '');
  if (!/^(\d+[mhdw])+$/.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(PART)) {
    total += Number(amount) * UNIT_MINUTES[unit as keyof typeof UNIT_MINUTES];
  }
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}

/** "2d 4h", "8h", "1h 30m", "15m": the largest units first, zero parts left out. */
export function formatDuration(minutes: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(minutes));
  for (const [unit, size] of [
    ['d', 1440],
    ['h', 60],
    ['m', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.length > 0 ? parts.join(' ') : '0m';
}

/** The durations offered in pickers; a flow's maximum is always offered too. */
export const STANDARD_DURATIONS = [15, 30, 60, 120, 240, 480, 720, 1440, 4320, 10080] as const;

export function durationChoices(maxMinutes: number): number[] {
  const choices: number[] = STANDARD_DURATIONS.filter((d) => d <= maxMinutes);
  if (!choices.includes(maxMinutes)) choices.push(maxMinutes);
  return choices;
}

/** The choice shown first: one hour when allowed, else the largest allowed. */
export function defaultDuration(maxMinutes: number): number {
  return Math.min(60, maxMinutes);
}
