/** Small fixtures several tests and benches send through the API. */

/** A flow that plays a beep and hangs up: the shortest call that exercises media. */
export const BEEP_THEN_HANG_UP = {
  schemaVersion: 1,
  start: 'hello',
  nodes: [
    { id: 'hello', type: 'play', params: { prompt: { kind: 'sound', name: 'beep' } } },
    { id: 'bye', type: 'hangup' },
  ],
  edges: [{ from: 'hello', exit: 'next', to: 'bye' }],
} as const;

/** Ticket settings whose business hours never close, so an SLA clock runs all the time. */
export function alwaysOpenTicketSettings(firstResponseSec: number, extra: Record<string, unknown> = {}) {
  const target = { firstResponseSec, resolutionSec: 3600 };
  return {
    calendar: {
      timeZone: 'UTC',
      weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '23:59' }],
    },
    targets: { low: target, normal: target, high: target, urgent: target },
    ...extra,
  };
}
