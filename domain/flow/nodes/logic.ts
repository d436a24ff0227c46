import { z } from 'zod';
import { expressionVariables, parseExpression } from '../expression';
import { templateVariables } from '../template';
import { defineNode, VariableName } from './spec';

export const set = defineNode({
  type: 'set',
  title: 'Set variables',
  params: z.object({
    assignments: z
      .array(z.object({ variable: VariableName, value: z.string().max(2000) }))
      .min(1)
      .max(50),
  }),
  exits: () => ['next'],
  takesCallerInput: false,
  reads: (p) => p.assignments.flatMap((a) => templateVariables(a.value)),
  writes: (p) => p.assignments.map((a) => a.variable),
});

/** Characters of a branch condition. */
export const MAX_CONDITION_LENGTH = 500;

const Condition = z
  .string()
  .min(1)
  .max(MAX_CONDITION_LENGTH)
  .superRefine((source, ctx) => {
    // zod runs this even when max failed: a megabyte condition took 150 ms to parse (issue #13).
    if (source.length > MAX_CONDITION_LENGTH) return;
    try {
      parseExpression(source);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

export const branch = defineNode({
  type: 'branch',
  title: 'Branch',
  params: z.object({
    /** Tried in order; the first that holds is taken, else `else`. */
    conditions: z
      .array(
        z.object({
          id: z.string().regex(/^[a-z0-9_]{1,32}$/, 'lowercase letters, digits and _'),
          when: Condition,
        }),
      )
      .min(1)
      .max(20)
      .refine((c) => new Set(c.map((x) => x.id)).size === c.length, 'each condition id may appear once'),
  }),
  exits: (p) => [...p.conditions.map((c) => `when:${c.id}`), 'else'],
  takesCallerInput: false,
  reads: (p) => p.conditions.flatMap((c) => [...expressionVariables(parseExpression(c.when))]),
  writes: () => [],
});

const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const ClockTime = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'HH:MM, 24-hour');

export const hours = defineNode({
  type: 'hours',
  title: 'Business hours',
  params: z.object({
    timeZone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'not an IANA time zone'),
    weekly: z
      .array(
        z
          .object({ days: z.array(Weekday).min(1), open: ClockTime, close: ClockTime })
          .refine((r) => r.open < r.close, { message: 'open must be before close', path: ['close'] }),
      )
      .max(21),
    holidays: z
      .array(z.object({ date: z.string().date(), name: z.string().max(80).optional() }))
      .max(366)
      .default([]),
  }),
  exits: () => ['open', 'closed'],
  takesCallerInput: false,
  reads: () => [],
  writes: () => [],
});

export const subflow = defineNode({
  type: 'subflow',
  title: 'Subflow',
  params: z.object({
    flowId: z.string().uuid(),
    /** A pinned published version; the rollout rule decides when absent. */
    version: z.number().int().positive().optional(),
  }),
  exits: () => ['next'],
  takesCallerInput: false,
  reads: () => [],
  writes: () => [],
});

/** Ends a subflow, back to the node after the `subflow` node that called it; at the top, ends the call. */
export const returnNode = defineNode({
  type: 'return',
  title: 'Return',
  params: z.strictObject({}),
  exits: () => [],
  takesCallerInput: false,
  reads: () => [],
  writes: () => [],
});

export { VariableName };
