import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { ticketData } from '../shared/activity-profiles';
import { publish } from '../shared/domain-events';
import { addBusinessMs, businessMsBetween } from '../../domain/flow/hours';
import {
  PRIORITIES,
  TICKET_TRANSITIONS,
  type SlaClock,
  type TicketSnapshot,
  type TicketStatus,
} from '../../domain/ticket/model';
import { ticketChangeUpdate, ticketQuery, type TicketChange, type TicketInput } from './contract';

/**
 * Patch of the bounded ticket history: comment bodies stored outside the workflow, changes answered with a
 * version instead of the snapshot, the projection written without the timeline, and continue-as-new checked
 * on every turn of the loop (a change used to skip the only check).
 */
export const TICKET_BOUNDED_PATCH = 'ticket-bounded-history';
/** A run continues as new past either: well under Temporal's 51,200 events and 50 MB. */
export const TICKET_RUN_LIMITS = { events: 2000, bytes: 1_000_000 } as const;

/** Statuses in which the SLA clocks run; pending (waiting on the customer) pauses them. */
const CLOCK_RUNS: readonly TicketStatus[] = ['new', 'open', 'on_hold'];

interface ClockState extends SlaClock {
  /** While running: since when the elapsed time was last settled. */
  since?: string;
}

/**
 * A ticket: the follow-up of a contact, its status machine, comments and assignment, and its SLA clocks
 * (first response, resolution) counted in business time of the tenant's calendar, paused while pending.
 * Near a target (80 % by default) the ticket is raised a priority; past it, made urgent and given to the
 * escalation assignee. Solved tickets close by themselves after a while and can be reopened until then
 * (within the reopen period). Every change is projected to PostgreSQL for listing and search.
 */
export async function TicketWorkflow(input: TicketInput): Promise<TicketSnapshot> {
  const { policy } = input;
  const now = () => new Date();
  const targets = policy.targets[input.fields.priority];
  const snap: TicketSnapshot = input.snapshot ?? {
    ticketId: input.ticketId,
    tenantId: input.tenantId,
    status: 'new',
    fields: input.fields,
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
    sla: [
      {
        kind: 'first_response',
        targetSec: targets.firstResponseSec,
        elapsedSec: 0,
        running: true,
        state: 'ok',
        since: input.createdAt,
      } as ClockState,
      {
        kind: 'resolution',
        targetSec: targets.resolutionSec,
        elapsedSec: 0,
        running: true,
        state: 'ok',
        since: input.createdAt,
      } as ClockState,
    ],
    timeline: [
      {
        at: input.createdAt,
        kind: 'created',
        by: input.createdBy,
        detail: { subject: input.fields.subject },
      },
    ],
    version: 1,
  };
  const clocks = snap.sla as ClockState[];
  if (!input.snapshot) {
    void publish('ticket.created', input.tenantId, {
      ticketId: input.ticketId,
      subject: input.fields.subject,
      status: snap.status,
      priority: input.fields.priority,
      queueId: input.fields.queue,
      callId: input.fields.calls[0],
    });
  }
  let dirty = true;
  let changes = 0;

  /** Counts business time up to `at` on running clocks. */
  const settle = (at: Date) => {
    for (const c of clocks) {
      if (!c.running || !c.since) continue;
      c.elapsedSec += businessMsBetween(policy.calendar, new Date(c.since), at) / 1000;
      c.since = at.toISOString();
    }
  };
  const setRunning = (at: Date) => {
    for (const c of clocks) {
      const run = CLOCK_RUNS.includes(snap.status) && c.state !== 'met';
      if (run && !c.running) c.since = at.toISOString();
      if (!run) delete c.since;
      c.running = run;
      c.breachAt = run
        ? addBusinessMs(policy.calendar, at, Math.max(0, c.targetSec - c.elapsedSec) * 1000)?.toISOString()
        : undefined;
    }
  };
  const note = (entry: Omit<TicketSnapshot['timeline'][number], 'at'>) => {
    snap.timeline.push({ at: now().toISOString(), ...entry });
    snap.updatedAt = now().toISOString();
    snap.version++;
    dirty = true;
  };
  const raise = (to?: (typeof PRIORITIES)[number]) => {
    const next =
      to ?? PRIORITIES[Math.min(PRIORITIES.indexOf(snap.fields.priority) + 1, PRIORITIES.length - 1)]!;
    snap.fields.priority = next;
  };

  /** Escalates clocks that crossed their near-breach or breach point. */
  const escalate = () => {
    for (const c of clocks) {
      if (!c.running) continue;
      if (c.state !== 'breached' && c.elapsedSec >= c.targetSec) {
        c.state = 'breached';
        void publish('ticket.sla_breached', input.tenantId, {
          ticketId: input.ticketId,
          sla: c.kind,
          dueAt: c.breachAt ?? now().toISOString(),
        });
        raise('urgent');
        if (policy.escalateTo) snap.fields.assignee = policy.escalateTo;
        note({
          kind: 'sla',
          detail: { clock: c.kind, state: 'breached', priority: 'urgent', assignee: snap.fields.assignee },
        });
      } else if (c.state === 'ok' && c.elapsedSec >= c.targetSec * policy.nearBreachRatio) {
        c.state = 'near_breach';
        raise();
        note({
          kind: 'sla',
          detail: { clock: c.kind, state: 'near_breach', priority: snap.fields.priority },
        });
      }
    }
  };

  const apply = (change: TicketChange, by: string, at: Date, commentId?: string) => {
    switch (change.kind) {
      case 'status': {
        const from = snap.status;
        snap.status = change.status;
        if (change.status === 'solved') {
          snap.solvedAt = at.toISOString();
          for (const c of clocks)
            if (c.state !== 'breached') Object.assign(c, { state: 'met', metAt: at.toISOString() });
        }
        if (from === 'solved' && change.status === 'open') {
          // Reopened: resolution counts again from where it stopped.
          delete snap.solvedAt;
          const resolution = clocks.find((c) => c.kind === 'resolution')!;
          if (resolution.state === 'met') Object.assign(resolution, { state: 'ok', metAt: undefined });
        }
        if (change.status === 'closed') snap.closedAt = at.toISOString();
        note({ kind: 'status', by, detail: { from, to: change.status } });
        break;
      }
      case 'comment': {
        // The first public reply from our side meets the first-response target.
        const first = clocks.find((c) => c.kind === 'first_response')!;
        if (change.public && first.state !== 'met' && first.state !== 'breached') {
          Object.assign(first, { state: 'met', metAt: at.toISOString() });
        }
        note({
          kind: 'comment',
          by,
          // A stored comment is named by its id (readers join the body); older runs kept the body here.
          detail: commentId
            ? { commentId, public: change.public, length: change.body.length }
            : { body: change.body, public: change.public },
        });
        break;
      }
      case 'assign':
        snap.fields.assignee = change.assignee ?? undefined;
        note({ kind: 'assigned', by, detail: { assignee: change.assignee } });
        break;
      case 'fields':
        Object.assign(snap.fields, change.fields);
        note({ kind: 'updated', by, detail: { ...change.fields } });
        break;
      case 'link':
        if (change.call) snap.fields.calls.push(change.call);
        if (change.recording) snap.fields.recordings.push(change.recording);
        note({ kind: 'linked', by, detail: { call: change.call, recording: change.recording } });
        break;
    }
  };

  setHandler(ticketQuery, () => {
    const copy = structuredCopy(snap);
    // Clocks as of now, not as of the last change.
    const at = now();
    for (const c of copy.sla as ClockState[]) {
      if (c.running && c.since)
        c.elapsedSec += businessMsBetween(policy.calendar, new Date(c.since), at) / 1000;
      c.elapsedSec = Math.round(c.elapsedSec * 10) / 10;
      delete c.since;
    }
    return copy;
  });
  setHandler(
    ticketChangeUpdate,
    async ({ change, by }) => {
      const bounded = patched(TICKET_BOUNDED_PATCH);
      let commentId: string | undefined;
      if (bounded && change.kind === 'comment') {
        commentId = uuid4();
        await ticketData.saveComment({
          commentId,
          ticketId: input.ticketId,
          tenantId: input.tenantId,
          body: change.body,
          public: change.public,
          by,
        });
      }
      const at = now();
      settle(at);
      apply(change, by, at, commentId);
      setRunning(at);
      changes++;
      void publish('ticket.updated', input.tenantId, {
        ticketId: input.ticketId,
        status: snap.status,
        changes: change.kind === 'fields' ? Object.keys(change.fields) : [change.kind],
      });
      return bounded ? { ticketId: input.ticketId, version: snap.version } : structuredCopy(snap);
    },
    {
      validator: ({ change }) => {
        if (snap.status === 'closed') {
          throw ApplicationFailure.create({
            type: 'TicketClosed',
            message: 'the ticket is closed',
            nonRetryable: true,
          });
        }
        if (change.kind !== 'status') return;
        const allowed = [...TICKET_TRANSITIONS[snap.status]];
        const reopenable =
          snap.solvedAt && Date.now() - Date.parse(snap.solvedAt) <= policy.reopenWithinSec * 1000;
        if (snap.status === 'solved' && !reopenable) allowed.splice(allowed.indexOf('open'), 1);
        if (!allowed.includes(change.status)) {
          throw ApplicationFailure.create({
            type: 'InvalidTicketTransition',
            message: `a ${snap.status} ticket cannot become ${change.status}; allowed: ${allowed.join(', ') || 'none'}`,
            nonRetryable: true,
            details: [{ current: snap.status, allowed }],
          });
        }
      },
    },
  );

  setRunning(now());
  /** What PostgreSQL lists and searches: the timeline stays in the workflow (and out of the history). */
  const projection = (): TicketSnapshot => ({ ...structuredCopy(snap), timeline: [] });
  for (;;) {
    if (dirty) {
      dirty = false;
      await ticketData.project(projection());
    }
    if (snap.status === 'closed') break;
    const info = workflowInfo();
    if (
      patched(TICKET_BOUNDED_PATCH) &&
      (info.continueAsNewSuggested ||
        info.historyLength >= TICKET_RUN_LIMITS.events ||
        (info.historySize ?? 0) >= TICKET_RUN_LIMITS.bytes)
    ) {
      // Nothing may run between the last handler finishing and the continue-as-new: a change accepted
      // while the projection is written would be lost with this run.
      await ticketData.project(projection());
      await condition(allHandlersFinished);
      return continueAsNew<typeof TicketWorkflow>({ ...input, snapshot: snap });
    }
    const at = now();
    const wakes = clocks
      .filter((c) => c.running && c.state !== 'breached')
      .map((c) => {
        const point = c.state === 'ok' ? c.targetSec * policy.nearBreachRatio : c.targetSec;
        return addBusinessMs(policy.calendar, at, Math.max(0, point - c.elapsedSec) * 1000)?.getTime();
      })
      .filter((t): t is number => t !== undefined);
    if (snap.status === 'solved' && snap.solvedAt)
      wakes.push(Date.parse(snap.solvedAt) + policy.autoCloseAfterSec * 1000);
    const wakeAt = wakes.length ? Math.min(...wakes) : undefined;
    const before = changes;
    const changed =
      wakeAt === undefined
        ? await condition(() => changes !== before).then(() => true)
        : await condition(() => changes !== before, Math.max(1, wakeAt - Date.now()));
    if (changed) continue;
    const woke = now();
    settle(woke);
    escalate();
    if (
      snap.status === 'solved' &&
      snap.solvedAt &&
      woke.getTime() >= Date.parse(snap.solvedAt) + policy.autoCloseAfterSec * 1000
    ) {
      apply({ kind: 'status', status: 'closed' }, 'system', woke);
    }
    setRunning(woke);
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await ticketData.project(projection());
      return continueAsNew<typeof TicketWorkflow>({ ...input, snapshot: snap });
    }
  }
  await condition(allHandlersFinished);
  return snap;
}

/** A deep copy for queries and the projection: what leaves the workflow must not alias its state. */
function structuredCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
