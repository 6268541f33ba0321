/**
 * The shape of a connections file (`tributary.yaml`): an optional Redis URL, default retry settings, and the
 * connections, each a connector, its config, a destination and namespace, and an optional schedule. The
 * schema checks what can be checked without the environment (durations, cron expressions, time zones); the
 * loader (connections-file.ts) adds what needs the disk, the connector registry or the environment.
 */
import { z } from 'zod';
import { checkCron, checkTimeZone, parseDuration, type Schedule } from './schedule.js';

/** `30s`, `15m`, `2h`, `1d`: checked here so the error carries the field's path. */
const Duration = z.string().superRefine((text, ctx) => {
  try {
    parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const RetrySchema = z.strictObject({
  /** Tries per run, the first included; 1 means no retry. */
  attempts: z.number().int().min(1).max(100).optional(),
  /** Wait before the first retry (the base of the workers' backoff). */
  backoff: Duration.optional(),
  /** Pause the connection after this many failed runs in a row. */
  pauseAfter: z.number().int().min(1).max(1000).optional(),
});

const EverySchema = z.strictObject({ every: Duration });
const CronSchema = z
  .strictObject({ cron: z.string().min(1), tz: z.string().min(1).optional() })
  .superRefine((s, ctx) => {
    try {
      checkTimeZone(s.tz ?? 'UTC');
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['tz'], message: (err as Error).message });
      return;
    }
    try {
      checkCron(s.cron, s.tz ?? 'UTC');
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: (err as Error).message });
    }
  });

export const ScheduleSchema = z
  .unknown()
  .superRefine((v, ctx) => {
    // One clear message for "neither or both" rather than a union's list of every branch's complaints.
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a mapping: { every: 15m } or { cron: "0 * * * *", tz: UTC }',
      });
      return;
    }
    const keys = Object.keys(v);
    const branch =
      keys.includes('every') && !keys.includes('cron')
        ? EverySchema
        : keys.includes('cron') && !keys.includes('every')
          ? CronSchema
          : undefined;
    if (!branch) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of every (such as 15m) or cron (with an optional tz)',
      });
      return;
    }
    const r = branch.safeParse(v);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
  })
  .transform((v): Schedule => {
    const s = v as { every?: string; cron?: string; tz?: string };
    return s.every !== undefined
      ? { everyMs: parseDuration(s.every) }
      : { cron: (s.cron as string).trim(), tz: s.tz ?? 'UTC' };
  });

export const CONNECTION_NAME = /^[a-z0-9][a-z0-9_-]*$/;

export const ConnectionSchema = z
  .strictObject({
    name: z
      .string()
      .max(100)
      .regex(
        CONNECTION_NAME,
        'must be lower-case letters, digits, "-" and "_", starting with a letter or digit',
      ),
    connector: z.string().min(1),
    /** The connector's config, `${ENV}` references resolved when the connection runs. */
    config: z.record(z.string(), z.unknown()).optional(),
    /** A JSON or YAML file holding the config, relative to the connections file. */
    config_file: z.string().min(1).optional(),
    destination: z.string().min(1).optional(),
    namespace: z.string().min(1).max(200).optional(),
    streams: z.array(z.string().min(1)).min(1).optional(),
    schedule: ScheduleSchema.optional(),
    retry: RetrySchema.optional(),
    full_refresh: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.config !== undefined && c.config_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['config_file'],
        message: 'give config or config_file, not both',
      });
    }
  });

export const ConnectionsFileSchema = z.strictObject({
  redis: z.string().min(1).optional(),
  defaults: z.strictObject({ retry: RetrySchema.optional() }).optional(),
  /** The dashboard of `serve`: its token (usually `${TRIBUTARY_DASHBOARD_TOKEN}`), needed off loopback. */
  dashboard: z.strictObject({ token: z.string().min(1).optional() }).optional(),
  connections: z.array(z.unknown()),
});

export type RawConnection = z.infer<typeof ConnectionSchema>;
export type RawConnectionsFile = z.infer<typeof ConnectionsFileSchema>;
