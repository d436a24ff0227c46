import { z } from 'zod';
import { CallState, Disposition } from '../../../workflows/call/contract';

const callStates = Object.values(CallState) as [CallState, ...CallState[]];
const PhoneNumber = z.string().regex(/^\+?[0-9*#]{1,32}$/, 'digits, optionally with a leading +');

export const CallId = z
  .string()
  .regex(/^call-[A-Za-z0-9_-]+-[A-Za-z0-9._-]+$/, 'a call id looks like call-<node>-<channel id>');

export const ListCallsQuery = z.object({
  status: z.enum(['active', 'recent', 'all']).default('all').describe('active = still running'),
  state: z.enum(callStates).optional(),
  from: PhoneNumber.optional(),
  to: PhoneNumber.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  include: z
    .enum(['live'])
    .optional()
    .describe(
      "live: each running call's state, flow node, queue and agent, from its workflow (for consoles)",
    ),
});

export const CallSummary = z
  .object({
    id: z.string(),
    status: z.string().describe('Workflow status: running, completed, failed, terminated, …'),
    state: z.string().nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    startedAt: z.string(),
    closedAt: z.string().nullable(),
    /** With include=live, for running calls; null when the workflow did not answer in time. */
    live: z
      .object({
        state: z.string(),
        answeredAt: z.string().nullable(),
        flowId: z.string().nullable(),
        currentNode: z.string().nullable(),
        /** The type of the current node, from the path. */
        currentNodeType: z.string().nullable(),
        queue: z
          .object({
            queueId: z.string(),
            queueName: z.string(),
            phase: z.string(),
            enqueuedAt: z.string(),
            agent: z.object({ id: z.string(), name: z.string() }).nullable(),
          })
          .nullable(),
      })
      .nullable()
      .optional(),
  })
  .meta({ id: 'CallSummary' });

export const CallLive = z.object({
  state: z.enum(callStates),
  channelId: z.string(),
  from: z.string(),
  to: z.string(),
  digits: z.string(),
  collectEndedBy: z.string().optional(),
  startedAt: z.string(),
  answeredAt: z.string().optional(),
  endedAt: z.string().optional(),
  endedBy: z.string().optional(),
  disposition: z.string().optional(),
  /** For calls that run a flow: which version, where it is, the path so far and the variables (secrets masked). */
  flowId: z.string().optional(),
  version: z.number().int().optional(),
  currentNode: z.string().optional(),
  path: z
    .array(
      z.object({
        nodeId: z.string(),
        type: z.string(),
        enteredAt: z.string(),
        exit: z.string().optional(),
        flow: z.object({ id: z.string(), version: z.number().int() }).optional(),
        detail: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
  variables: z.record(z.string(), z.string()).optional(),
  /** While in an ACD queue: which, since when, the agent ringing or talking (and what supervisors snoop on). */
  queue: z
    .object({
      queueId: z.string(),
      queueName: z.string(),
      enqueuedAt: z.string(),
      phase: z.enum(['waiting', 'ringing', 'talking']),
      agent: z.object({ id: z.string(), name: z.string() }).optional(),
      agentLegId: z.string().optional(),
      bridgeId: z.string().optional(),
      recordingId: z.string().optional(),
    })
    .optional(),
});

export const Cdr = z
  .object({
    from: z.string(),
    to: z.string(),
    startedAt: z.string(),
    answeredAt: z.string().nullable(),
    endedAt: z.string(),
    durationMs: z.number().int(),
    disposition: z.enum(Object.values(Disposition) as [Disposition, ...Disposition[]]),
    endedBy: z.enum(['caller', 'system']),
    digits: z.string(),
  })
  .meta({ id: 'Cdr' });

export const CallDetail = z
  .object({
    id: z.string(),
    status: z.string(),
    live: CallLive.nullable().describe('From the workflow: its query while running, its result once ended'),
    cdr: Cdr.nullable().describe('The call detail record, once the call has ended'),
    temporalUrl: z.string().describe('The workflow in the Temporal Web UI'),
  })
  .meta({ id: 'CallDetail' });
