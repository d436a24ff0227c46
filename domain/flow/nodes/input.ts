import { z } from 'zod';
import { Digit, defineNode, Millis, Prompt, promptVariables, VariableName } from './spec';
import { digitPatternProblem } from '../digit-pattern';

export const menu = defineNode({
  type: 'menu',
  title: 'Menu',
  params: z.object({
    prompt: Prompt,
    options: z
      .array(z.object({ digit: Digit, label: z.string().max(80).optional() }))
      .min(1)
      .max(12)
      .refine((o) => new Set(o.map((x) => x.digit)).size === o.length, 'each digit may appear once'),
    timeoutMs: Millis(60_000, 5000),
    /** Times the menu is repeated after a wrong digit or silence before taking `invalid`/`no_input`. */
    retries: z.number().int().min(0).max(5).default(2),
    invalidPrompt: Prompt.optional(),
    noInputPrompt: Prompt.optional(),
  }),
  exits: (p) => [...p.options.map((o) => `option:${o.digit}`), 'invalid', 'no_input'],
  takesCallerInput: true,
  reads: (p) => [p.prompt, p.invalidPrompt, p.noInputPrompt].flatMap(promptVariables),
  writes: () => [],
});

/** Characters of a gather node's pattern. */
const MAX_PATTERN_LENGTH = 200;

export const gather = defineNode({
  type: 'gather',
  title: 'Gather digits',
  params: z
    .object({
      prompt: Prompt.optional(),
      variable: VariableName,
      minDigits: z.number().int().min(1).max(32).default(1),
      maxDigits: z.number().int().min(1).max(32),
      terminator: Digit.default('#'),
      timeoutMs: Millis(60_000, 5000),
      /** Regular expression (RE2 syntax, linear time) the input must match, e.g. `^[0-9]{8}$`. */
      pattern: z
        .string()
        .max(MAX_PATTERN_LENGTH)
        .superRefine((p, ctx) => {
          // zod runs this even when max failed: never compile what is refused anyway.
          if (p.length > MAX_PATTERN_LENGTH) return;
          const problem = digitPatternProblem(p);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      retries: z.number().int().min(0).max(5).default(2),
    })
    .refine((p) => p.minDigits <= p.maxDigits, {
      message: 'minDigits is more than maxDigits',
      path: ['minDigits'],
    }),
  exits: () => ['valid', 'invalid', 'no_input'],
  takesCallerInput: true,
  reads: (p) => promptVariables(p.prompt),
  writes: () => [],
  // The variable holds the input only when it was valid.
  writesOn: (p, exit) => (exit === 'valid' ? [p.variable] : []),
});

export const voicemail = defineNode({
  type: 'voicemail',
  title: 'Voicemail',
  params: z.object({
    prompt: Prompt.optional(),
    maxSeconds: z.number().int().min(5).max(600).default(120),
    beep: z.boolean().default(true),
    /** Where the ticket made from the recording goes. */
    ticketQueue: z.string().max(64).optional(),
  }),
  exits: () => ['recorded', 'empty'],
  takesCallerInput: true,
  reads: (p) => promptVariables(p.prompt),
  writes: () => [],
});

export const callback = defineNode({
  type: 'callback',
  title: 'Offer a callback',
  params: z.object({
    prompt: Prompt,
    queueId: z.string().uuid(),
    acceptDigit: Digit.default('1'),
  }),
  exits: () => ['accepted', 'declined'],
  takesCallerInput: true,
  reads: (p) => promptVariables(p.prompt),
  writes: () => [],
});
