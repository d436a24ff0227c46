import { patched } from '@temporalio/workflow';
import type { EventDataOf, EventType } from '../../lib/events/schemas';
import { emit } from './emit';
import { enqueueEvent } from './outbox';

/**
 * Workflows from this release put events in their outbox (outbox.ts), from where they ride on the next
 * activity instead of costing an activity and a workflow task each.
 */
export const EVENTS_RIDE_PATCH = 'events-ride-activities';

/**
 * Emits a domain event from a workflow that may have started before workflows emitted events: the patch
 * marker keeps replays of such histories (long-lived routing, tickets, callbacks) deterministic. Never
 * rejects; resolves once the event is published. Await it only when the workflow is about to complete.
 */
export function publish<T extends EventType>(type: T, tenantId: string, data: EventDataOf<T>): Promise<void> {
  if (!patched('domain-events')) return Promise.resolve();
  if (!patched(EVENTS_RIDE_PATCH)) return emit(type, tenantId, data);
  return enqueueEvent(type, tenantId, data);
}
