import { z } from 'zod';
import { hours } from '../flow/nodes/logic';

const Disposition = z.enum(['busy', 'no_answer', 'failed', 'machine', 'abandoned']);

const RetryRule = z.object({
  /** Seconds before the next attempt after this disposition. */
  delaySec: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400),
  /** Attempts in all (the first included) after which a contact with this disposition is given up. */
  maxAttempts: z.number().int().min(1).max(20),
});

/** Retry rules when a campaign gives none for a disposition. */
export const DEFAULT_RETRIES = {
  busy: { delaySec: 300, maxAttempts: 3 },
  no_answer: { delaySec: 1800, maxAttempts: 3 },
  failed: { delaySec: 600, maxAttempts: 2 },
  machine: { delaySec: 7200, maxAttempts: 2 },
  abandoned: { delaySec: 600, maxAttempts: 3 },
} as const;

/**
 * A campaign's settings as the API takes them and as stored (campaigns.config). Not for workflow code (zod
 * stays out of the sandbox): activities parse it and hand the workflow plain values.
 */
export const CampaignSettings = z
  .object({
    /** Agentless campaigns run a published flow on each answered call; agent campaigns connect to a queue. */
    target: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('flow'), flowId: z.string().uuid() }),
      z.object({ kind: z.literal('queue'), queueId: z.string().uuid() }),
    ]),
    callerId: z.string().regex(/^\+?[0-9]{3,20}$/, 'digits, optionally with a leading +'),
    /** agentless (flow targets), preview, progressive or predictive (queue targets). */
    mode: z.enum(['agentless', 'preview', 'progressive', 'predictive']).default('agentless'),
    pacing: z
      .object({
        /** @default 1 */
        callsPerSecond: z.number().min(0.01).max(100).default(1),
        /** @default 10 */
        maxConcurrent: z.number().int().min(1).max(1000).default(10),
        /** Progressive and predictive: calls per available agent. @default 1 */
        ratio: z.number().min(1).max(5).default(1),
        /** Predictive: the abandon rate above which the ratio is lowered. @default 0.03 */
        maxAbandonRate: z.number().min(0).max(0.5).default(0.03),
      })
      .default({ callsPerSecond: 1, maxConcurrent: 10, ratio: 1, maxAbandonRate: 0.03 }),
    /** When contacts may be called, in each contact's own time zone (weekly hours, holidays). */
    window: hours.params.omit({ timeZone: true }).extend({
      /** Restricted periods each day, e.g. lunch: never dialed inside these. */
      restricted: z
        .array(z.object({ from: z.string().regex(/^\d{2}:\d{2}$/), to: z.string().regex(/^\d{2}:\d{2}$/) }))
        .max(10)
        .default([]),
    }),
    /** Per disposition; the ones not given keep their defaults. */
    retries: z
      .partialRecord(Disposition, RetryRule)
      .default({})
      .transform((given) => ({ ...DEFAULT_RETRIES, ...given })),
    /** Answering machine detection with Asterisk's AMD() on each answered call. @default false */
    amd: z.boolean().default(false),
    /** Seconds a contact's phone rings. @default 30 */
    ringSeconds: z.number().int().min(5).max(120).default(30),
    /** Optional start and stop by schedule (Temporal schedules). */
    schedule: z
      .object({
        startAt: z.iso.datetime({ offset: true }).optional(),
        stopAt: z.iso.datetime({ offset: true }).optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const agentless = c.mode === 'agentless';
    if (agentless !== (c.target.kind === 'flow')) {
      ctx.addIssue({
        code: 'custom',
        path: ['mode'],
        message: agentless ? 'an agentless campaign targets a flow' : `a ${c.mode} campaign targets a queue`,
      });
    }
  });
export type CampaignSettings = z.infer<typeof CampaignSettings>;

export const CampaignState = {
  Draft: 'draft',
  Running: 'running',
  Paused: 'paused',
  Stopped: 'stopped',
  Completed: 'completed',
} as const;
export type CampaignState = (typeof CampaignState)[keyof typeof CampaignState];
