/**
 * The worker's side of events that ride on activities (domain/events/carried.ts): an activity interceptor
 * takes the carried events off the input and publishes them, in order, while the activity runs.
 *
 * A telephony activity must not fail because NATS is briefly away, so a publish that fails for a reason
 * other than the event's schema does not fail the activity: the events wait in this process's backlog and
 * are retried for RETRY_FOR_MS (as long as the `emitEvent` activity retried), in order, before anything
 * newer is published. Ids are stable, so a retried activity re-publishes nothing twice (JetStream's
 * duplicate window). The cost against the old activity per event: an event can be lost if NATS is away
 * and this worker dies before the backlog drains; while NATS is away the calls' own media steps cannot
 * read their events either.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { JetStreamClient } from 'nats';
import { z } from 'zod';
import { CARRIED_EVENTS_FIELD, canCarryEvents, type CarriedEvent } from '../../domain/events/carried';
import { publishEvent } from './publish';
import type { DomainEvent } from './schemas';

/** How long a backlog of events is retried while NATS refuses them. @default 3 minutes */
const RETRY_FOR_MS = 180_000;
const RETRY_EVERY_MS = 1_000;

export interface CarriedEventsLog {
  warn(details: object, message: string): void;
}

/** Publishes carried and batched events; keeps what NATS refused and retries it in order. */
export class CarriedEventsPublisher {
  private backlog: { event: CarriedEvent; since: number }[] = [];
  private retrying?: NodeJS.Timeout;

  constructor(
    private readonly js: JetStreamClient,
    private readonly log: CarriedEventsLog,
  ) {}

  /**
   * Publishes `events` in order. With `keep` (carried events: the activity must go on), what NATS refuses
   * joins the backlog; with `throw` (the emitEvents activity, which Temporal retries durably), the error is
   * thrown. Returns the events refused by their schema (a bug in the emitting code, logged and dropped).
   */
  async publish(
    events: readonly CarriedEvent[],
    onNatsFailure: 'keep' | 'throw' = 'keep',
  ): Promise<{ rejected: string[] }> {
    const rejected: string[] = [];
    if (this.backlog.length && onNatsFailure === 'keep') {
      // Newer events wait behind older ones, so a receiver sees a call's events in order; the activity
      // does not wait for NATS to come back.
      this.backlog.push(...events.map((event) => ({ event, since: Date.now() })));
      this.planRetry();
      return { rejected };
    }
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      try {
        await publishEvent(this.js, event as DomainEvent);
      } catch (err) {
        if (err instanceof z.ZodError) {
          rejected.push(
            `${event.type}: ${err.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
          );
          this.log.warn({ eventId: event.id, type: event.type }, 'carried event refused by its schema');
          continue;
        }
        if (onNatsFailure === 'throw') throw err;
        this.backlog.push(...events.slice(i).map((e) => ({ event: e, since: Date.now() })));
        this.log.warn({ count: events.length - i, reason: (err as Error).message }, 'events kept to retry');
        this.planRetry();
        break;
      }
    }
    return { rejected };
  }

  /** Events still waiting for NATS. */
  get waiting(): number {
    return this.backlog.length;
  }

  /** Stops retrying (the worker is stopping); what is left is logged as lost. */
  close(): void {
    clearTimeout(this.retrying);
    if (this.backlog.length) this.log.warn({ count: this.backlog.length }, 'events lost at shutdown');
    this.backlog = [];
  }

  private planRetry(): void {
    if (this.retrying) return;
    this.retrying = setTimeout(() => {
      this.retrying = undefined;
      void this.drain();
    }, RETRY_EVERY_MS);
    this.retrying.unref();
  }

  private async drain(): Promise<void> {
    while (this.backlog.length) {
      const head = this.backlog[0]!;
      try {
        await publishEvent(this.js, head.event as DomainEvent);
        this.backlog.shift();
      } catch (err) {
        if (err instanceof z.ZodError || Date.now() - head.since > RETRY_FOR_MS) {
          this.log.warn({ eventId: head.event.id, reason: (err as Error).message }, 'event given up');
          this.backlog.shift();
          continue;
        }
        this.planRetry();
        return;
      }
    }
  }
}

/**
 * The activity interceptor: publishes the events an activity carries while running it without them (the
 * activity never sees the field). Register it on every worker that runs activities of workflows bundled
 * with workflows/shared/outbox.ts.
 */
export function carriedEventsInterceptor(
  publish: (events: CarriedEvent[]) => Promise<unknown>,
): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        const [first, ...rest] = input.args;
        if (!canCarryEvents(first) || !(CARRIED_EVENTS_FIELD in first)) return next(input);
        const { [CARRIED_EVENTS_FIELD]: carried, ...own } = first;
        // Beside the activity, not before it: a prompt must not wait for JetStream's ack of the events
        // that rode on it. The activity returns only once they are out (or kept to retry).
        const published = publish(carried as CarriedEvent[]);
        try {
          return await next({ ...input, args: [own, ...rest] });
        } finally {
          await published;
        }
      },
    },
  });
}
