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
import { CancellationScope, log, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { EventActivities } from '../../activities/events';
import { EVENT_ACTIVITY_OPTIONS } from './emit';
import { CARRIED_EVENTS_FIELD, canCarryEvents, type CarriedEvent } from '../../domain/events/carried';

/**
 * Microtask turns an event waits for an activity to take it before it is flushed on its own. Enough for
 * the awaits between a `publish` and the activity after it in the flow interpreter (a handful); changing
 * it changes the commands of running workflows, so it is a constant for good.
 */
const TURNS_BEFORE_FLUSH = 64;

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
  const batch = take();
  if (!batch.length) return;
  // Not cancellable: a caller's hangup must not cancel the events that tell of it.
  const sent = CancellationScope.nonCancellable(() =>
    events.emitEvents({ events: batch.map((w) => w.event) }),
  ).then(
    () => undefined,
    (err: unknown) => log.warn('events not emitted', { count: batch.length, error: (err as Error).message }),
  );
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
