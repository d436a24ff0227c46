import type { WorkerOptions } from '@temporalio/worker';
import { carriedEventsInterceptor } from '../../lib/events/carried';

/** An event as a workflow test sees it, however it went out. */
export interface CapturedEvent {
  id?: string;
  type: string;
  data: { nodeId?: string } & Record<string, unknown>;
}

/**
 * What a workflow test's workers need so that every domain event reaches `onEvent` as it would reach NATS:
 * the event activities (one per event before the events-ride-activities patch, batches after it) and the
 * interceptor that takes the events riding on other activities. Spread `activities` into the fakes and pass
 * `interceptors` to every Worker.create that runs them.
 */
export function eventCapture(onEvent: (event: CapturedEvent) => void): {
  activities: {
    emitEvent(e: CapturedEvent): Promise<void>;
    emitEvents(i: { events: CapturedEvent[] }): Promise<void>;
  };
  interceptors: NonNullable<WorkerOptions['interceptors']>;
} {
  return {
    activities: {
      emitEvent: async (e) => onEvent(e),
      emitEvents: async ({ events }) => events.forEach(onEvent),
    },
    interceptors: {
      activity: [
        carriedEventsInterceptor(async (events) => events.forEach((e) => onEvent(e as CapturedEvent))),
      ],
    },
  };
}
