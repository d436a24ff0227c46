import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from 'nats';
import { z } from 'zod';
import { stableUuid } from '../lib/events/ids';
import { publishEvent } from '../lib/events/publish';
import { CarriedEventsPublisher } from '../lib/events/carried';
import type { CarriedEvent } from '../domain/events/carried';

/** Where a publisher made without the worker's logger reports. */
const consoleLog = { warn: (details: object, message: string) => console.warn(message, details) };
import type { DomainEvent, EventDataOf, EventType } from '../lib/events/schemas';

export { stableUuid };

/** What a producer sends: the event without the envelope fields CTICloud can fill in. */
export type EmitEventInput<T extends EventType = EventType> = {
  [K in T]: {
    type: K;
    tenantId: string;
    data: EventDataOf<K>;
    /** @default derived from the calling activity, so every retry of one emit has the same id */
    id?: string;
    /** @default now */
    occurredAt?: string;
  };
}[T];

/** The id of an emit made from inside an activity: stable across that activity's retries. */
export function activityEventId(): string {
  let info: ReturnType<typeof Context.current>['info'] | undefined;
  try {
    info = Context.current().info;
  } catch {
    // Called outside an activity (a test, a script): nothing to be stable against.
  }
  const run = info?.workflowExecution;
  return run ? stableUuid(`${run.workflowId}/${run.runId}/${info!.activityId}`) : randomUUID();
}

export function createEventActivities({
  js,
  carried,
}: {
  js: JetStreamClient;
  /** Publishes the batches of workflows whose events ride on activities (lib/events/carried.ts). */
  carried?: CarriedEventsPublisher;
}) {
  const publisher = carried ?? new CarriedEventsPublisher(js, consoleLog);
  return {
    /**
     * Publishes the events of a workflow that no activity carried (workflows/shared/outbox.ts), in order.
     * Ids come from the workflow, so a retry publishes nothing twice. NATS away: the activity fails and
     * Temporal retries it from the first event (JetStream drops the ones already stored). An event that does
     * not match its schema is dropped and reported (`EventRejected`, final) after the others went out.
     */
    async emitEvents({ events }: { events: CarriedEvent[] }): Promise<void> {
      const { rejected } = await publisher.publish(events, 'throw');
      if (rejected.length)
        throw ApplicationFailure.create({
          type: 'EventRejected',
          message: rejected.join('; '),
          nonRetryable: true,
        });
    },

    /**
     * Publishes a domain event on NATS (EVENTS stream), from where webhooks, the SSE endpoint and any
     * subscriber get it. A retried activity publishes the same id, which JetStream drops as a duplicate.
     * An event that does not match its schema fails for good (`EventRejected`): retrying cannot fix it.
     */
    async emitEvent(input: EmitEventInput): Promise<{ id: string; seq: number }> {
      const event = {
        ...input,
        id: input.id ?? activityEventId(),
        occurredAt: input.occurredAt ?? new Date().toISOString(),
      } as DomainEvent;
      try {
        const ack = await publishEvent(js, event);
        return { id: event.id, seq: ack.seq };
      } catch (err) {
        if (err instanceof z.ZodError)
          throw ApplicationFailure.create({
            type: 'EventRejected',
            message: `${input.type}: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
            nonRetryable: true,
          });
        throw err;
      }
    },
  };
}

export type EventActivities = ReturnType<typeof createEventActivities>;
