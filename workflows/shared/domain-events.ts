import { patched } from '@temporalio/workflow';
import type { EventDataOf, EventType } from '../../lib/events/schemas';
import { emit } from './emit';

/**
 * Emits a domain event from a workflow that may have started before workflows emitted events: the patch
 * marker keeps replays of such histories (long-lived routing, tickets, callbacks) deterministic. Never
 * rejects (see emit); await it only when the workflow is about to complete.
 */
export function publish<T extends EventType>(type: T, tenantId: string, data: EventDataOf<T>): Promise<void> {
  if (!patched('domain-events')) return Promise.resolve();
  return emit(type, tenantId, data);
}
