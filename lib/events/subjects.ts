import type { EventType } from './schemas';

/**
 * NATS subjects of domain events: `cticloud.<tenant>.events.<type>`, the type's dots kept, so every type is
 * two tokens (`<entity>.<what happened>`) and wildcards read naturally:
 *
 * - `cticloud.acme.events.>`: everything of tenant acme
 * - `cticloud.acme.events.call.*`: acme's call events
 * - `cticloud.*.events.ticket.sla_breached`: one type, every tenant
 *
 * Tenant ids are `[a-z0-9-]`, valid NATS tokens as they are.
 */
export const EVENTS_STREAM = 'EVENTS';
export const EVENT_SUBJECT_ROOT = 'cticloud';
/** Everything the EVENTS stream stores. */
export const ALL_EVENTS_SUBJECT = `${EVENT_SUBJECT_ROOT}.*.events.>`;

export const eventSubject = (tenantId: string, type: EventType): string =>
  `${EVENT_SUBJECT_ROOT}.${tenantId}.events.${type}`;

/** Every event of one tenant. */
export const tenantEventsSubject = (tenantId: string): string => `${EVENT_SUBJECT_ROOT}.${tenantId}.events.>`;

/** `cticloud.acme.events.call.ended` → `{ tenantId: 'acme', type: 'call.ended' }`. */
export function parseEventSubject(subject: string): { tenantId: string; type: string } | undefined {
  const [root, tenantId, events, ...type] = subject.split('.');
  if (root !== EVENT_SUBJECT_ROOT || events !== 'events' || !tenantId || !type.length) return undefined;
  return { tenantId, type: type.join('.') };
}
