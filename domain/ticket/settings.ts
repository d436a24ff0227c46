import { z } from 'zod';
import { hours } from '../flow/nodes/logic';
import type { TicketPolicy } from './model';

const Targets = z.object({
  firstResponseSec: z
    .number()
    .int()
    .min(1)
    .max(90 * 86_400),
  resolutionSec: z
    .number()
    .int()
    .min(1)
    .max(365 * 86_400),
});

/**
 * A tenant's ticket settings as the API takes them; each ticket copies them when it is opened. Not for
 * workflow code (zod stays out of the sandbox).
 */
export const TicketSettings = z.object({
  /** Business hours the SLA clocks count in; around the clock when absent. */
  calendar: hours.params.optional(),
  targets: z.object({ low: Targets, normal: Targets, high: Targets, urgent: Targets }).default({
    low: { firstResponseSec: 2 * 86_400, resolutionSec: 10 * 86_400 },
    normal: { firstResponseSec: 86_400, resolutionSec: 5 * 86_400 },
    high: { firstResponseSec: 4 * 3600, resolutionSec: 86_400 },
    urgent: { firstResponseSec: 3600, resolutionSec: 4 * 3600 },
  }),
  /** @default 0.8 */
  nearBreachRatio: z.number().min(0.1).max(0.99).default(0.8),
  escalateTo: z.string().max(120).optional(),
  /** A solved ticket can be reopened this long. @default 259200 (3 days) */
  reopenWithinSec: z
    .number()
    .int()
    .min(0)
    .max(90 * 86_400)
    .default(3 * 86_400),
  /** A solved ticket closes by itself after this long. @default 259200 (3 days) */
  autoCloseAfterSec: z
    .number()
    .int()
    .min(1)
    .max(90 * 86_400)
    .default(3 * 86_400),
});
export type TicketSettings = z.infer<typeof TicketSettings>;

export const policyOf = (settings: unknown): TicketPolicy =>
  TicketSettings.parse(settings ?? {}) as TicketPolicy;
