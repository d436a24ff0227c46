/**
 * The workflow's outbox of domain events not yet handed over. `publish` (domain-events.ts) puts an event
 * here; the next activity the workflow schedules through a carrying profile (activity-profiles.ts) takes
 * every waiting event along in its input, and the worker publishes them before running it. Events no
 * activity takes within the same activation go out in one `emitEvents` activity.
 *
 * Determinism: whether an event rides or is flushed depends only on the workflow's own synchronous code
 * and a fixed number of microtask turns, never on when something outside resolves (what broke the
 * local-activity batching tried first, docs/design-call-path.md). Module state is per workflow: the SDK
 * instantiates workflow modules for each run.
 */
import { CancellationScope, log, patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { EventActivities } from '../../activities/events';
import { EVENT_ACTIVITY_OPTIONS } from './emit';
import { CARRIED_EVENTS_FIELD, canCarryEvents, type CarriedEvent } from '../../domain/events/carried';

/**
 * Microtask turns an event waits for an activity to take it before it is flushed on its own. Enough for
 * the awaits between a `publish` and the activity after it in the flow interpreter (a handful); changing
 * it changes the commands of running workflows, so it is a constant for good.
 */
const TURNS_BEFORE_FLUSH = 64;

/**
 * Workflows from this release hand over no batch while a flushed one is still going out: the flush runs on
 * the workflow's queue and a carrier on another (a node's), so a later batch could be published first (one
 * CI run in about twenty saw `call.answered` before `call.started`). Later events wait and go out in the
 * next flush, once the earlier one is in.
 */
export const EVENTS_IN_ORDER_PATCH = 'events-in-order';

/** Publishing a batch: as `emitEvent` was, quick and retried while NATS is away. */
const events = proxyActivities<EventActivities>(EVENT_ACTIVITY_OPTIONS);

interface Waiting {
  event: CarriedEvent;
  /** Resolves the `publish` that made it: the event is out (or given up on). */
  sent: () => void;
}

let waiting: Waiting[] = [];
let flushPlanned = false;
/** Settles after every batch flushed so far: `await publish(...)` at a workflow's end waits for all. */
let flushed: Promise<void> = Promise.resolve();
/** Flushed batches whose emitEvents has not settled yet. */
let flushesGoingOut = 0;
/** A flush waits for `flushed` (EVENTS_IN_ORDER_PATCH). */
let flushWaiting = false;

/** Queues an event; resolves once it is published (by its carrier or a flush). Never rejects. */
export function enqueueEvent(type: string, tenantId: string, data: unknown): Promise<void> {
  const event = { id: uuid4(), type, tenantId, occurredAt: new Date().toISOString(), data };
  return new Promise<void>((sent) => {
    waiting.push({ event, sent });
    planFlush();
  });
}

function planFlush(): void {
  if (flushPlanned) return;
  flushPlanned = true;
  let turns = TURNS_BEFORE_FLUSH;
  const turn = (): void => {
    if (--turns > 0) void Promise.resolve().then(turn);
    else flush();
  };
  void Promise.resolve().then(turn);
}

function flush(): void {
  flushPlanned = false;
  if (!waiting.length || flushWaiting) return;
  if (flushesGoingOut > 0 && patched(EVENTS_IN_ORDER_PATCH)) {
    // Behind the batch still going out; whatever joins the outbox meanwhile goes in the same batch.
    flushWaiting = true;
    void flushed.then(() => {
      flushWaiting = false;
      send();
    });
    return;
  }
  send();
}

/** Publishes everything waiting in one emitEvents activity. */
function send(): void {
  const batch = take();
  if (!batch.length) return;
  flushesGoingOut++;
  // Not cancellable: a caller's hangup must not cancel the events that tell of it.
  const sent = CancellationScope.nonCancellable(() =>
    events.emitEvents({ events: batch.map((w) => w.event) }),
  ).then(
    () => undefined,
    (err: unknown) => log.warn('events not emitted', { count: batch.length, error: (err as Error).message }),
  );
  void sent.then(() => flushesGoingOut--);
  const earlier = flushed;
  flushed = Promise.all([earlier, sent]).then(() => batch.forEach((w) => w.sent()));
  // Each publish resolves when its batch and every earlier one settled.
  void flushed;
}

function take(): Waiting[] {
  const batch = waiting;
  waiting = [];
  return batch;
}

/**
 * Schedules an activity with the waiting events in its input. If the activity fails (it may never have
 * started, e.g. cancelled while queued), its events are flushed on their own: ids are stable, so one
 * already published is dropped by JetStream as a duplicate.
 */
export function carryEvents<R>(input: unknown, schedule: (input: unknown) => Promise<R>): Promise<R> {
  if (!waiting.length || !canCarryEvents(input)) return schedule(input);
  // The events wait for the next flush, behind the one going out (EVENTS_IN_ORDER_PATCH).
  if ((flushesGoingOut > 0 || flushWaiting) && patched(EVENTS_IN_ORDER_PATCH)) return schedule(input);
  const batch = take();
  const result = schedule({ ...input, [CARRIED_EVENTS_FIELD]: batch.map((w) => w.event) });
  result.then(
    () => batch.forEach((w) => w.sent()),
    () => {
      waiting.unshift(...batch);
      planFlush();
    },
  );
  return result;
}
