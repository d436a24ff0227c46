import { log, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { EmitEventInput, EventActivities } from '../../activities/events';
import type { EventDataOf, EventType } from '../../lib/events/schemas';

/** Publishing an event: quick, retried while NATS is away; an event that fails its schema is final. */
export const EVENT_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    // About three minutes of NATS outage: a workflow awaiting its last event must not wait forever.
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['EventRejected'],
  },
} as const satisfies ActivityOptions;
const events = proxyActivities<EventActivities>(EVENT_ACTIVITY_OPTIONS);

/**
 * Emits a domain event from workflow code. The id is derived from the activity, so replays and retries
 * publish one event. Never rejects: an event is a notification, and must not fail the call that emits it.
 * `void emit(...)` on a caller's critical path; `await emit(...)` when the workflow is about to complete
 * (an activity still unstarted when its workflow closes never runs).
 */
export async function emit<T extends EventType>(
  type: T,
  tenantId: string,
  data: EventDataOf<T>,
): Promise<void> {
  try {
    await events.emitEvent({ type, tenantId, data } as EmitEventInput);
  } catch (err) {
    log.warn('event not emitted', { type, error: (err as Error).message });
  }
}
