import { z } from 'zod';

/**
 * Reading `view.state.values[block_id][action_id]` (payload shapes per Slack's docs). Values are
 * parsed, never trusted: a forged submission can put anything here, so every reader tolerates junk
 * and returns "nothing" rather than throwing.
 */
const OptionSchema = z.object({ value: z.string().max(2000) });
const StateValueSchema = z
  .object({
    value: z.string().max(10_000).nullish(),
    selected_option: OptionSchema.nullish(),
    selected_options: z.array(OptionSchema).max(200).nullish(),
  })
  .loose();

export type StateValues = Record<string, Record<string, unknown>>;

function read(values: StateValues, block: string, action: string) {
  const parsed = StateValueSchema.safeParse(values?.[block]?.[action]);
  return parsed.success ? parsed.data : undefined;
}

export const textValue = (v: StateValues, block: string, action: string): string => read(v, block, action)?.value ?? '';

export const selectedValue = (v: StateValues, block: string, action: string): string | null =>
  read(v, block, action)?.selected_option?.value ?? null;

export const selectedValues = (v: StateValues, block: string, action: string): string[] =>
  (read(v, block, action)?.selected_options ?? []).map((o) => o.value);

/** A users_select's `selected_user` when it looks like a Slack user id; else null. */
export function selectedUser(v: StateValues, block: string, action: string): string | null {
  const raw = (v?.[block]?.[action] as { selected_user?: unknown } | undefined)?.selected_user;
  return typeof raw === 'string' && /^[UW][A-Z0-9]{2,20}$/.test(raw) ? raw : null;
}

/**
 * A datetimepicker's `selected_date_time` (Unix seconds) as a Date; null when unset. A value that is
 * not a whole number of seconds becomes an invalid Date, which the service refuses with a sentence.
 */
export function dateTimeValue(v: StateValues, block: string, action: string): Date | null {
  const raw = (v?.[block]?.[action] as { selected_date_time?: unknown } | undefined)?.selected_date_time;
  if (raw === null || raw === undefined) return null;
  return typeof raw === 'number' && Number.isSafeInteger(raw) ? new Date(raw * 1000) : new Date(Number.NaN);
}

/** "480" -> 480; anything else -> null (reported to the person as a missing choice). */
export function minutesValue(text: string | null): number | null {
  if (text === null || !/^\d{1,6}$/.test(text)) return null;
  return Number(text);
}

/** private_metadata carries ids only; parse it back and refuse anything else. */
export const RequestRefSchema = z.object({ requestId: z.string().regex(/^req_[0-9a-z]{6,20}$/) });

/**
 * The approval stage a review modal was opened at (staged requests only): not authority, only so a
 * decision made for a stage that passed meanwhile is refused instead of counting toward the next one.
 */
export function parseStageRef(metadata: string | undefined): number | undefined {
  try {
    const stage = (JSON.parse(metadata ?? '') as { stage?: unknown }).stage;
    return typeof stage === 'number' && Number.isInteger(stage) && stage >= 0 && stage < 10 ? stage : undefined;
  } catch {
    return undefined;
  }
}

export function parseRequestRef(metadata: string | undefined): string | null {
  try {
    const parsed = RequestRefSchema.safeParse(JSON.parse(metadata ?? ''));
    return parsed.success ? parsed.data.requestId : null;
  } catch {
    return null;
  }
}

export const isRequestId = (value: unknown): value is string =>
  typeof value === 'string' && /^req_[0-9a-z]{6,20}$/.test(value);
