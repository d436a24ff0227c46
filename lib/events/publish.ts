import {
  DiscardPolicy,
  headers,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type NatsConnection,
  type PubAck,
} from 'nats';
import { DomainEventSchema, type DomainEvent } from './schemas';
import { ALL_EVENTS_SUBJECT, EVENTS_STREAM, eventSubject } from './subjects';

const nanos = (ms: number): number => ms * 1_000_000;

export interface EventsStreamOptions {
  /** How long events are kept: how far back a webhook dispatcher or an SSE client can resume. @default 7 days */
  maxAgeMs?: number;
  /** Window in which a second publish of one event id is dropped. @default 10 minutes */
  duplicateWindowMs?: number;
}

/** Creates the EVENTS stream, or brings an existing one to these settings. Safe to call from every process. */
export async function ensureEventsStream(
  nc: NatsConnection,
  options: EventsStreamOptions = {},
): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const config = {
    name: EVENTS_STREAM,
    subjects: [ALL_EVENTS_SUBJECT],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs ?? 7 * 86_400_000),
    // Long enough to cover an activity's retries of one emit: the retry publishes the same id again.
    duplicate_window: nanos(options.duplicateWindowMs ?? 600_000),
  };
  try {
    await jsm.streams.info(EVENTS_STREAM);
    await jsm.streams.update(EVENTS_STREAM, config);
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
    // Two processes starting at once may both get here; the loser finds the stream made.
    await jsm.streams.add(config).catch((e: Error) => {
      if (!/already in use|exists/i.test(e.message)) throw e;
    });
  }
}

/**
 * Stores one event in the EVENTS stream after checking it against its schema (an event that does not
 * match what the AsyncAPI document promises is a bug, and is refused here rather than at a receiver).
 * The event id is the message id: publishing the same event twice stores it once.
 */
export async function publishEvent(js: JetStreamClient, event: DomainEvent): Promise<PubAck> {
  const parsed = DomainEventSchema.parse(event);
  const h = headers();
  h.set('CTICloud-Event-Type', parsed.type);
  return js.publish(eventSubject(parsed.tenantId, parsed.type), JSON.stringify(parsed), {
    msgID: parsed.id,
    headers: h,
  });
}
