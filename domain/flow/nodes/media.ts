import { z } from 'zod';
import { templateVariables } from '../template';
import { defineNode, Prompt, promptVariables } from './spec';

export const play = defineNode({
  type: 'play',
  title: 'Play',
  params: z.object({ prompt: Prompt }),
  exits: () => ['next'],
  takesCallerInput: false,
  reads: (p) => promptVariables(p.prompt),
  writes: () => [],
});

export const say = defineNode({
  type: 'say',
  title: 'Say',
  params: z.object({
    as: z.enum(['digits', 'number', 'date']),
    /** Literal or `{{variable}}`. */
    value: z.string().min(1).max(64),
  }),
  exits: () => ['next'],
  takesCallerInput: false,
  reads: (p) => templateVariables(p.value),
  writes: () => [],
});

export const hangup = defineNode({
  type: 'hangup',
  title: 'Hang up',
  params: z.object({ reason: z.enum(['normal', 'busy', 'congestion']).default('normal') }),
  exits: () => [],
  takesCallerInput: false,
  reads: () => [],
  writes: () => [],
});
