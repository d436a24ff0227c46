import { z } from 'zod';
import { templateVariables } from '../template';
import { defineNode, Millis, VariableName } from './spec';

export const http = defineNode({
  type: 'http',
  title: 'HTTP request',
  params: z.object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    /** May contain `{{variables}}`; the host must be on the tenant's allow-list. */
    url: z
      .string()
      .max(2000)
      .regex(/^https?:\/\//, 'an http:// or https:// URL'),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), z.string().max(1000)).default({}),
    body: z.string().max(20_000).optional(),
    timeoutMs: Millis(30_000, 5000),
    retries: z.number().int().min(0).max(5).default(0),
    /** JSON response fields into variables: `{ variable: 'balance', path: 'account.balance' }`. */
    responseMap: z
      .array(
        z.object({ variable: VariableName, path: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/) }),
      )
      .max(50)
      .default([]),
  }),
  exits: () => ['success', 'error', 'timeout'],
  takesCallerInput: false,
  reads: (p) => [p.url, p.body ?? '', ...Object.values(p.headers)].flatMap(templateVariables),
  writes: () => [],
  // Set on success only: a read after `error` or `timeout` is caught by validation as read-before-set.
  writesOn: (p, exit) => (exit === 'success' ? p.responseMap.map((m) => m.variable) : []),
});

const Skill = z.object({
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/),
  minLevel: z.number().int().min(1).max(10),
});

export const queue = defineNode({
  type: 'queue',
  title: 'Queue',
  params: z.object({
    queueId: z.string().uuid(),
    priority: z.number().int().min(0).max(100).default(0),
    skills: z.array(Skill).max(10).default([]),
    /** Leave the queue by `overflow` after this long; the queue's own limit applies when absent. */
    maxWaitSec: z.number().int().min(5).max(86_400).optional(),
  }),
  exits: () => ['served', 'overflow'],
  /** Unconnected, `overflow` goes where the queue's own settings say: another queue, voicemail, a callback, a flow. */
  optionalExits: () => ['overflow'],
  takesCallerInput: true,
  reads: () => [],
  writes: () => [],
});

export const transfer = defineNode({
  type: 'transfer',
  title: 'Transfer',
  params: z.object({
    to: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('number'),
        number: z.string().regex(/^\+?[0-9]{3,20}$/, 'digits, optionally with +'),
      }),
      z.object({
        kind: z.literal('sip'),
        endpoint: z.string().regex(/^PJSIP\/[A-Za-z0-9_.@:-]+$/, 'PJSIP/<endpoint>'),
      }),
    ]),
    callerId: z.string().max(40).optional(),
    ringSeconds: z.number().int().min(5).max(300).default(30),
  }),
  exits: () => ['completed', 'busy', 'no_answer', 'failed'],
  takesCallerInput: true,
  reads: () => [],
  writes: () => [],
});
