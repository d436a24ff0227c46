import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from 'nats';
import { z } from 'zod';
import { stableUuid } from '../lib/events/ids';
import { publishEvent } from '../lib/events/publish';
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

export function createEventActivities({ js }: { js: JetStreamClient }) {
  return {
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
