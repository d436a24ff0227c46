import { z } from 'zod';

/**
 * Every domain event CTICloud publishes, one zod schema each. The NATS stream, the webhooks, the SSE
 * endpoint and the AsyncAPI document all derive from these, so what is documented is what is sent.
 * Only zod is imported here: workflow code may import these types.
 */

const Id = z.string().min(1);
const Timestamp = z.string().datetime({ offset: true });

const CallParties = {
  /** The call's workflow id: the same id the calls API and the CDR use. */
  callId: Id,
  from: z.string(),
  to: z.string(),
};

/** Each event type's `data`. Keys are the event types; add a type here and everything else follows. */
export const EventData = {
  'call.started': z
    .object({
      ...CallParties,
      direction: z.enum(['inbound', 'outbound']),
      /** The flow the call runs, when the dialed number has one. */
      flowId: z.string().optional(),
    })
    .describe('A call reached CTICloud (inbound) or was placed by it (outbound).'),
  'call.answered': z.object({ ...CallParties }).describe('The call was answered.'),
  'call.ended': z
    .object({
      ...CallParties,
      disposition: z.enum(['answered', 'abandoned', 'failed']),
      endedBy: z.enum(['caller', 'system']),
      durationMs: z.number().int().nonnegative(),
      /** The agent who last talked with the caller, when the call reached one through a queue. */
      agentId: z.string().optional(),
    })
    .describe('The call is over; its CDR is written.'),
  'flow.node_entered': z
    .object({
      callId: Id,
      flowId: z.string(),
      nodeId: z.string(),
      nodeType: z.string(),
    })
    .describe('A call entered a flow node. Opt-in: many per call, so webhooks must subscribe to it by name.'),
  'queue.entered': z
    .object({
      queueId: z.string(),
      /** The waiting entry: a call's workflow id or a callback's. */
      entryId: Id,
      kind: z.enum(['call', 'callback']),
      priority: z.number().int(),
      from: z.string(),
    })
    .describe('A call or callback started waiting in a queue.'),
  'agent.state_changed': z
    .object({
      agentId: z.string(),
      state: z.enum(['offline', 'available', 'on_call', 'wrap_up', 'not_ready']),
      previousState: z.enum(['offline', 'available', 'on_call', 'wrap_up', 'not_ready']).optional(),
      reason: z.string().optional(),
      /** On a call or in its wrap-up: the queue entry taken, i.e. the call's or the callback's workflow id. */
      entryId: z.string().optional(),
    })
    .describe("An agent's state changed."),
  'callback.attempted': z
    .object({
      callbackId: Id,
      attempt: z.number().int().positive(),
      outcome: z.enum(['answered', 'busy', 'no_answer', 'failed', 'machine', 'agent_no_answer']),
      agentId: z.string().optional(),
    })
    .describe('One attempt of a callback ended.'),
  'callback.completed': z
    .object({
      callbackId: Id,
      state: z.enum(['completed', 'failed', 'cancelled']),
      attempts: z.number().int().nonnegative(),
    })
    .describe('A callback is finished: reached, out of attempts, or cancelled.'),
  'campaign.progress': z
    .object({
      campaignId: z.string(),
      state: z.enum(['running', 'paused', 'stopped', 'completed']),
      /** Attempts started and finished since the campaign started. */
      launched: z.number().int().nonnegative(),
      finished: z.number().int().nonnegative(),
      inFlight: z.number().int().nonnegative(),
      byDisposition: z.record(z.string(), z.number().int().nonnegative()),
      /** Calls started per second over the last minute. */
      pace: z.number().nonnegative(),
      /** Abandoned / (answered + abandoned) over the last five minutes; null without agent calls. */
      abandonRate: z.number().nullable(),
    })
    .describe(
      "A campaign's counters (its workflow's progress), throttled while it runs, and at each state change.",
    ),
  'ticket.created': z
    .object({
      ticketId: z.string(),
      subject: z.string(),
      status: z.string(),
      priority: z.string().optional(),
      queueId: z.string().optional(),
      /** The call the ticket came from, e.g. a voicemail. */
      callId: z.string().optional(),
    })
    .describe('A ticket was opened.'),
  'ticket.updated': z
    .object({
      ticketId: z.string(),
      status: z.string(),
      /** Names of the fields that changed. */
      changes: z.array(z.string()),
    })
    .describe('A ticket changed: status, assignee, priority, a comment.'),
  'ticket.sla_breached': z
    .object({
      ticketId: z.string(),
      sla: z.enum(['first_response', 'resolution']),
      dueAt: Timestamp,
    })
    .describe('A ticket missed its first-response or resolution deadline.'),
} as const;

export type EventType = keyof typeof EventData;
export const EVENT_TYPES = Object.keys(EventData) as readonly EventType[] as readonly [
  EventType,
  ...EventType[],
];
export const EventTypeSchema = z.enum(EVENT_TYPES);

/** Delivered only to webhooks that name them: a call passes many nodes. */
export const OPT_IN_EVENT_TYPES: readonly EventType[] = ['flow.node_entered'];

const envelope = <T extends EventType>(type: T) =>
  z
    .object({
      /** Unique per event; a receiver seeing an id twice has seen a redelivery. */
      id: z.string().uuid(),
      type: z.literal(type),
      tenantId: z.string(),
      occurredAt: Timestamp,
      data: EventData[type] as (typeof EventData)[T],
    })
    // No `id`: a registered id would put every event into the OpenAPI document's components too.
    .meta({ title: type, description: EventData[type].description });

/** `call.started` → `CallStartedEvent`: the component name in the AsyncAPI document. */
export function eventSchemaId(type: EventType): string {
  return `${type.replace(/(^|[._])([a-z])/g, (_m, _s, c: string) => c.toUpperCase())}Event`;
}

/** The full event of each type: the envelope with its typed `data`. */
export const EventSchemas = Object.fromEntries(EVENT_TYPES.map((t) => [t, envelope(t)])) as {
  [T in EventType]: ReturnType<typeof envelope<T>>;
};

/** Any event, told apart by `type`. */
export const DomainEventSchema = z.discriminatedUnion(
  'type',
  EVENT_TYPES.map((t) => EventSchemas[t]) as unknown as [
    (typeof EventSchemas)[EventType],
    ...(typeof EventSchemas)[EventType][],
  ],
);

export type DomainEvent<T extends EventType = EventType> = {
  [K in T]: z.infer<(typeof EventSchemas)[K]>;
}[T];
export type EventDataOf<T extends EventType> = z.infer<(typeof EventData)[T]>;
