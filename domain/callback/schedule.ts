/**
 * When a callback's next attempt may start. Pure: CallbackWorkflow plans with it, and the gateway uses it to
 * start a callback whose first attempt is far off with a start delay (it waits in Temporal, not in a worker).
 */
import type { z } from 'zod';
import { nextOpening } from '../flow/hours';
import type { hours } from '../flow/nodes/logic';

/** The parts of a callback request that decide its times (workflows/callback/contract.ts has the whole). */
export interface CallbackTimes {
  /** Not before (ISO). */
  earliest?: string;
  /** Not after (ISO). */
  latest?: string;
  /** Calling hours in the customer's time zone. */
  hours?: z.infer<typeof hours.params>;
  /** Wait before attempt 2, 3, …; the last value repeats. */
  retryDelaysSec: number[];
}

/**
 * The earliest time the next customer attempt may start: not before `earliest`, not before the retry delay
 * after the last attempt, inside the calling hours. `undefined` when no such time is left before `latest`
 * (or within the hours' look-ahead).
 * @param done the customer attempts so far (agents who did not answer do not count)
 */
export function nextAttemptAt(
  request: CallbackTimes,
  done: readonly { endedAt?: string }[],
  now: Date,
): Date | undefined {
  const delays = request.retryDelaysSec;
  const delaySec = done.length ? (delays[Math.min(done.length - 1, delays.length - 1)] ?? 0) : 0;
  const lastEnd = done.at(-1)?.endedAt;
  const notBefore = Math.max(
    now.getTime(),
    request.earliest ? Date.parse(request.earliest) : 0,
    lastEnd ? Date.parse(lastEnd) + delaySec * 1000 : 0,
  );
  const at = request.hours ? nextOpening(request.hours, new Date(notBefore)) : new Date(notBefore);
  if (!at || (request.latest && at.getTime() > Date.parse(request.latest))) return undefined;
  return at;
}
