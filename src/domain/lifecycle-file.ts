import { z } from 'zod';
import { ALL_DAY, ALL_WEEKDAYS, isValidTimeZone, parseHours, WEEKDAY_NAMES } from './auto-approve.js';
import { formatDuration } from './duration.js';
import { DurationText, minutesText, People, SlackChannel } from './file-fields.js';
import { DEFAULT_LIFECYCLE, type AutoApproveRule, type FlowLifecycle } from './flow.js';
import { refsFromFile, refsToFile } from './on-call.js';
import { ResourceNameSchema, TagSchema } from './resource.js';
import { FieldConditionFileSchema } from './request-fields-file.js';

/**
 * The lifecycle part of a flow in ACCESS_CONFIG: reminders and escalation, how long a request may
 * wait, auto-approval rules and break-glass. The App Home flow editor validates its auto-approval
 * text with the same schema, so a rule means the same wherever it was written.
 */

const dayNumber = (d: number | string) =>
  typeof d === 'number' ? d : WEEKDAY_NAMES.indexOf(d as (typeof WEEKDAY_NAMES)[number]) + 1;
const DayName = z.enum(WEEKDAY_NAMES, { message: 'must be mon, tue, wed, thu, fri, sat or sun (or 1-7)' });

/** [mon, tue], [1, 2] or "mon-fri" -> sorted day numbers, 1 = Monday … 7 = Sunday. */
const Weekdays = z
  .union([
    z
      .array(
        z.union([
          z.number().int().min(1, 'must be 1 (Monday) to 7 (Sunday)').max(7, 'must be 1 (Monday) to 7 (Sunday)'),
          DayName,
        ]),
      )
      .min(1),
    z
      .string()
      .regex(
        /^(mon|tue|wed|thu|fri|sat|sun)-(mon|tue|wed|thu|fri|sat|sun)$/,
        'must be a list like [mon, tue] or a range like mon-fri',
      ),
  ])
  .transform((v) => {
    if (Array.isArray(v)) return [...new Set(v.map(dayNumber))].sort((a, b) => a - b);
    const [from, to] = v.split('-').map(dayNumber) as [number, number];
    const days: number[] = [];
    for (let d = from; ; d = (d % 7) + 1) {
      days.push(d);
      if (d === to) break;
    }
    return days.sort((a, b) => a - b);
  });

const Hours = z.string().transform((v, ctx) => {
  const window = parseHours(v);
  if (!window) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a window like "09:00-17:00" (24-hour clock, different start and end)',
    });
    return z.NEVER;
  }
  return `${window.from}-${window.to}`;
});

const PagerDutyId = z.string().regex(/^P[A-Z0-9]{5,}$/, 'must be a PagerDuty id like PABC123');
const OpsgenieSchedule = z
  .string()
  .min(1)
  .max(130)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'must be an Opsgenie schedule name or id');

/** `on_call: { pagerduty: { schedules, escalation_policies }, opsgenie: { schedules } }`: at least one id. */
export const OnCallFileSchema = z
  .strictObject({
    pagerduty: z
      .strictObject({
        schedules: z.array(PagerDutyId).max(10).default([]),
        escalation_policies: z.array(PagerDutyId).max(10).default([]),
      })
      .refine(
        (p) => p.schedules.length + p.escalation_policies.length > 0,
        'must name at least one schedule or escalation policy',
      )
      .optional(),
    opsgenie: z.strictObject({ schedules: z.array(OpsgenieSchedule).min(1).max(10) }).optional(),
  })
  .refine((o) => o.pagerduty || o.opsgenie, 'must name pagerduty or opsgenie');

const RuleName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, - _ . (up to 64)');

export const AutoApproveRuleFileSchema = z.strictObject({
  name: RuleName,
  /** Both empty: any resource of the flow. */
  resources: z
    .strictObject({ names: z.array(ResourceNameSchema).default([]), tags: z.array(TagSchema).default([]) })
    .default({ names: [], tags: [] }),
  max_duration: DurationText,
  weekdays: Weekdays.default(ALL_WEEKDAYS),
  hours: Hours.default(`${ALL_DAY.from}-${ALL_DAY.to}`),
  time_zone: z.string().refine(isValidTimeZone, 'must be an IANA time zone like Europe/Berlin').default('UTC'),
  /** The requester must be on call now on one of these. */
  on_call: OnCallFileSchema.optional(),
  /** A request made on someone's behalf is auto-approved only by a rule that says so (domain/auto-approve.ts). */
  on_behalf: z.boolean().optional(),
  /** Each named request field's value must be one of these (`severity: [sev1]`). */
  fields: FieldConditionFileSchema,
});

export const AutoApproveListSchema = z
  .array(AutoApproveRuleFileSchema)
  .max(20)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.name))
        ctx.addIssue({ code: 'custom', message: `duplicate rule name "${r.name}"`, path: [i, 'name'] });
      seen.add(r.name);
    });
  });

export const RemindersSchema = z.strictObject({
  remind_after: DurationText.optional(),
  escalate_after: DurationText.optional(),
  escalate_to: People.optional(),
});

export const BreakGlassSchema = z
  .strictObject({
    users: People.shape.users,
    groups: People.shape.groups,
    max_duration: DurationText.default(60),
    channel: SlackChannel.optional(),
  })
  .refine((b) => b.users.length + b.groups.length > 0, {
    message: 'must name at least one user or group who may break the glass',
  });

/** The fields a flow entry gains (spread into FileFlowSchema). */
export const lifecycleFileFields = {
  reminders: RemindersSchema.optional(),
  pending_ttl: DurationText.default(DEFAULT_LIFECYCLE.pendingTtlMinutes),
  auto_approve: AutoApproveListSchema.default([]),
  break_glass: BreakGlassSchema.optional(),
};

type FileLifecycle = {
  reminders?: z.infer<typeof RemindersSchema> | undefined;
  pending_ttl: number;
  auto_approve: z.infer<typeof AutoApproveListSchema>;
  break_glass?: z.infer<typeof BreakGlassSchema> | undefined;
  /** The flow's approvers: on-call approvers escalate to the next on-call level without escalate_to. */
  approvers?: { on_call?: unknown };
};

/** Rules that need two fields at once; each issue names the field to fix. */
export function checkFileLifecycle(f: FileLifecycle, ctx: z.RefinementCtx) {
  const r = f.reminders;
  const escalateTo = (r?.escalate_to?.users.length ?? 0) + (r?.escalate_to?.groups.length ?? 0);
  if (r?.escalate_after !== undefined && escalateTo === 0 && !f.approvers?.on_call)
    ctx.addIssue({
      code: 'custom',
      message: 'must name at least one user or group to escalate to',
      path: ['reminders', 'escalate_to'],
    });
  if (r?.escalate_after === undefined && escalateTo > 0)
    ctx.addIssue({
      code: 'custom',
      message: 'is needed with escalate_to (say after how long)',
      path: ['reminders', 'escalate_after'],
    });
  for (const key of ['remind_after', 'escalate_after'] as const) {
    const after = r?.[key];
    if (after !== undefined && after >= f.pending_ttl) {
      ctx.addIssue({
        code: 'custom',
        message: `must be shorter than pending_ttl (${formatDuration(f.pending_ttl)}): a request that long has already expired`,
        path: ['reminders', key],
      });
    }
  }
}

export function autoApproveFromFile(rules: z.infer<typeof AutoApproveListSchema>): AutoApproveRule[] {
  return rules.map((r) => {
    const [from, to] = r.hours.split('-') as [string, string];
    const onCall = refsFromFile(r.on_call);
    return {
      name: r.name,
      resourceNames: r.resources.names,
      resourceTags: r.resources.tags,
      maxDurationMinutes: r.max_duration,
      weekdays: r.weekdays,
      from,
      to,
      timeZone: r.time_zone,
      ...(onCall.length ? { onCall } : {}),
      ...(r.on_behalf ? { onBehalf: true as const } : {}),
      ...(r.fields && Object.keys(r.fields).length ? { fields: r.fields } : {}),
    };
  });
}

export function lifecycleFromFile(f: FileLifecycle): FlowLifecycle {
  const b = f.break_glass;
  return {
    remindAfterMinutes: f.reminders?.remind_after ?? null,
    escalationUsers: f.reminders?.escalate_to?.users ?? [],
    escalationGroups: f.reminders?.escalate_to?.groups ?? [],
    escalateAfterMinutes: f.reminders?.escalate_after ?? null,
    pendingTtlMinutes: f.pending_ttl,
    autoApprove: autoApproveFromFile(f.auto_approve),
    breakGlass: b
      ? { users: b.users, groups: b.groups, maxDurationMinutes: b.max_duration, channel: b.channel ?? null }
      : null,
  };
}

/** Auto-approval rules back to the file's shape, defaults left out (the App Home editor shows this too). */
export function autoApproveToFile(rules: readonly AutoApproveRule[]): Record<string, unknown>[] {
  return rules.map((r) => {
    const allDays = ALL_WEEKDAYS.every((d) => r.weekdays.includes(d));
    const allDay = r.from === ALL_DAY.from && r.to === ALL_DAY.to;
    return {
      name: r.name,
      ...(r.resourceNames.length + r.resourceTags.length > 0
        ? {
            resources: {
              ...(r.resourceNames.length ? { names: r.resourceNames } : {}),
              ...(r.resourceTags.length ? { tags: r.resourceTags } : {}),
            },
          }
        : {}),
      max_duration: minutesText(r.maxDurationMinutes),
      ...(allDays ? {} : { weekdays: r.weekdays.map((d) => WEEKDAY_NAMES[d - 1] ?? d) }),
      ...(allDay ? {} : { hours: `${r.from}-${r.to}` }),
      ...(r.timeZone === 'UTC' ? {} : { time_zone: r.timeZone }),
      ...(r.onCall?.length ? { on_call: refsToFile(r.onCall) } : {}),
      ...(r.onBehalf ? { on_behalf: true } : {}),
      ...(r.fields && Object.keys(r.fields).length ? { fields: r.fields } : {}),
    };
  });
}

/** A flow's lifecycle as file fields, defaults left out (spread into the exported flow). */
export function lifecycleToFile(l: FlowLifecycle): Record<string, unknown> {
  const escalateTo = {
    ...(l.escalationUsers.length ? { users: l.escalationUsers } : {}),
    ...(l.escalationGroups.length ? { groups: l.escalationGroups } : {}),
  };
  const reminders = {
    ...(l.remindAfterMinutes !== null ? { remind_after: minutesText(l.remindAfterMinutes) } : {}),
    ...(l.escalateAfterMinutes !== null ? { escalate_after: minutesText(l.escalateAfterMinutes) } : {}),
    ...(Object.keys(escalateTo).length ? { escalate_to: escalateTo } : {}),
  };
  const b = l.breakGlass;
  return {
    ...(Object.keys(reminders).length ? { reminders } : {}),
    ...(l.pendingTtlMinutes !== DEFAULT_LIFECYCLE.pendingTtlMinutes
      ? { pending_ttl: minutesText(l.pendingTtlMinutes) }
      : {}),
    ...(l.autoApprove.length ? { auto_approve: autoApproveToFile(l.autoApprove) } : {}),
    ...(b
      ? {
          break_glass: {
            ...(b.users.length ? { users: b.users } : {}),
            ...(b.groups.length ? { groups: b.groups } : {}),
            max_duration: minutesText(b.maxDurationMinutes),
            ...(b.channel ? { channel: b.channel } : {}),
          },
        }
      : {}),
  };
}
