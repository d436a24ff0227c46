/**
 * Domain events that ride on an activity a workflow runs anyway (issue #14, direction B): instead of one
 * `emitEvent` activity — and the empty workflow task its completion causes — per event, the events a
 * workflow published since its last activity go in that activity's input under CARRIED_EVENTS_FIELD, and
 * the worker publishes them before the activity runs (lib/events/carried.ts). Shared by the sandbox, which
 * adds the field, and the workers, which take it off again.
 */

/** The input field carrying events; no activity has a field of this name. */
export const CARRIED_EVENTS_FIELD = '__cticloudEvents' as const;

/** An event as a workflow hands it over: its id and time are fixed in the workflow, so replays agree. */
export interface CarriedEvent {
  id: string;
  type: string;
  tenantId: string;
  occurredAt: string;
  data: unknown;
}

/** An activity input that carries events. */
export type WithCarriedEvents<T> = T & { [CARRIED_EVENTS_FIELD]?: CarriedEvent[] };

/** Whether `input` is an object an event list can be added to (activities with one object argument). */
export const canCarryEvents = (input: unknown): input is Record<string, unknown> =>
  typeof input === 'object' && input !== null && !Array.isArray(input);
