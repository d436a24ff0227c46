import {
  ApplicationFailure,
  CancellationScope,
  condition,
  patched,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { QueuePlace } from '../acd/queue-place';
import { acd, callControl, flowData, nodeForNewCall } from '../shared/activity-profiles';
import {
  CallbackState,
  callbackStatusQuery,
  cancelUpdate,
  rescheduleUpdate,
  wakeSignal,
  type CallbackAttempt,
  type CallbackRequest,
  type CallbackStatus,
} from './contract';
import { publish } from '../shared/domain-events';
import { nextAttemptAt } from '../../domain/callback/schedule';
import type { QueueEntry } from '../../domain/acd/model';

/**
 * Callbacks started from this release join their queue in one local activity, and one that starts at or after
 * its time (a start delay just ended) does not set a timer first: falling due costs one workflow task.
 */
export const CALLBACK_JOIN_PATCH = 'callback-join-in-one-task';

const TERMINAL: readonly CallbackState[] = [
  CallbackState.Completed,
  CallbackState.Failed,
  CallbackState.Cancelled,
];

/**
 * A callback the customer is owed: it waits for its time (earliest, calling hours, retry delay), takes its
 * place in the queue — the place of the call it replaces — and when it reaches the head with an agent free,
 * rings the agent, then dials the customer. Busy, no answer and failures are retried with the delays asked
 * for, inside the allowed times, until maxAttempts; every attempt's outcome is kept.
 */
export async function CallbackWorkflow(input: {
  callbackId: string;
  request: CallbackRequest;
  createdAt: string;
}): Promise<CallbackStatus> {
  const entryId = workflowInfo().workflowId;
  const joinsInOneTask = patched(CALLBACK_JOIN_PATCH);
  const request = input.request;
  const status: CallbackStatus = {
    callbackId: input.callbackId,
    request,
    state: CallbackState.Scheduled,
    attempts: [],
    createdAt: input.createdAt,
  };
  let replan = false;
  let cancelled = false;
  const place = new QueuePlace(request.tenantId, entryId);
  const open = () => !TERMINAL.includes(status.state);
  const refuseWhenClosed = (..._request: unknown[]): void => {
    if (!open()) {
      throw ApplicationFailure.create({
        type: 'CallbackClosed',
        message: `the callback is ${status.state}`,
        nonRetryable: true,
      });
    }
  };
  setHandler(callbackStatusQuery, () => status);
  // Only its delivery matters: a signal-with-start ends a start delay, so an update can reach the workflow.
  setHandler(wakeSignal, () => undefined);
  setHandler(
    rescheduleUpdate,
    (changes) => {
      Object.assign(request, changes);
      replan = true;
      return status;
    },
    { validator: refuseWhenClosed },
  );
  setHandler(
    cancelUpdate,
    ({ reason }) => {
      cancelled = true;
      status.reason = reason ?? 'cancelled';
      return status;
    },
    { validator: refuseWhenClosed },
  );

  const finish = async (state: CallbackState, reason?: string): Promise<CallbackStatus> => {
    status.state = state;
    if (reason) status.reason ??= reason;
    delete status.nextAttemptAt;
    await publish('callback.completed', request.tenantId, {
      callbackId: input.callbackId,
      state: state as 'completed' | 'failed' | 'cancelled',
      attempts: customerAttempts(),
    });
    return status;
  };
  const customerAttempts = () => status.attempts.filter((a) => a.outcome !== 'agent_no_answer').length;
  const enqueuedAt = request.enqueuedAt ?? input.createdAt;

  // Whatever ends the callback (a cancel, a failure), it leaves the line and frees any agent it holds.
  try {
    while (customerAttempts() < request.maxAttempts) {
      // When may this attempt start? Replanned whenever the callback is rescheduled.
      for (;;) {
        replan = false;
        const done = status.attempts.filter((a) => a.outcome !== 'agent_no_answer');
        const at = nextAttemptAt(request, done, new Date());
        if (!at) return finish(CallbackState.Failed, 'no time left in the allowed window');
        status.state = CallbackState.Scheduled;
        status.nextAttemptAt = at.toISOString();
        if (joinsInOneTask && at.getTime() <= Date.now()) {
          if (cancelled) return finish(CallbackState.Cancelled);
          break;
        }
        const interrupted = await condition(
          () => replan || cancelled,
          Math.max(1, at.getTime() - Date.now()),
        );
        if (cancelled) return finish(CallbackState.Cancelled);
        if (!interrupted) break;
      }

      const entry = {
        entryId,
        queueId: request.queueId,
        kind: 'callback' as const,
        priority: request.priority,
        skills: [],
        enqueuedAt,
        from: request.number,
      };
      const joined = joinsInOneTask
        ? await place.join(entry).catch(() => false)
        : await joinTheOldWay(place, entry);
      if (!joined) return finish(CallbackState.Failed, `queue ${request.queueId} does not exist`);
      status.state = CallbackState.Queued;
      delete status.nextAttemptAt;

      // In line until an agent answers for this attempt (an agent who does not answer passes it on).
      for (;;) {
        const untilLatest = request.latest ? Date.parse(request.latest) - Date.now() : undefined;
        const offered = await condition(() => place.hasOffer || cancelled, untilLatest ?? '3650 days');
        if (cancelled || !offered) {
          await place.leave('cancelled');
          return cancelled
            ? finish(CallbackState.Cancelled)
            : finish(CallbackState.Failed, 'expired in the queue');
        }
        const offer = place.takeOffer();
        status.state = CallbackState.Dialing;
        const attempt: CallbackAttempt = {
          number: status.attempts.length + 1,
          startedAt: new Date().toISOString(),
          agentId: offer.agent.id,
        };
        status.attempts.push(attempt);
        const legs = `${entryId}-${attempt.number}-${uuid4().slice(0, 6)}`;
        const recordAs = offer.record ? `call-${legs}` : undefined;
        // A cancel during the attempt takes effect after it: the agent and customer are not cut off.
        const placed = await nodeForNewCall();
        const result = await CancellationScope.nonCancellable(async () =>
          callControl.callbackAttempt({
            ...placed,
            fromSeq: await callControl.eventPosition(),
            agent: {
              endpoint: offer.agent.endpoint,
              legId: `${legs}-agent`,
              ringSeconds: offer.ringTimeoutSec,
            },
            customer: {
              number: request.number,
              legId: `${legs}-customer`,
              ringSeconds: request.ringSeconds ?? 30,
              amd: request.amd ?? false,
            },
            bridgeId: `${legs}-bridge`,
            recordAs,
          }),
        ).catch((err: unknown) => {
          // The attempt failed for good (not the agent's doing nor the customer's): the agent is freed and
          // it counts as a failed attempt, so retries stay bounded by maxAttempts. Entries from before this
          // release failed the callback here, as that code did.
          if (place.isLegacy) throw err;
          return undefined;
        });
        attempt.endedAt = new Date().toISOString();
        if (!result) {
          // Out of line until the next attempt's time: an offer made meanwhile would hold an agent idle.
          await place.release();
          await place.leave('cancelled');
          attempt.outcome = 'failed';
          void publish('callback.attempted', request.tenantId, {
            callbackId: input.callbackId,
            attempt: attempt.number,
            outcome: 'failed',
            agentId: attempt.agentId,
          });
          break;
        }
        const told = (outcome: CallbackAttempt['outcome']) =>
          void publish('callback.attempted', request.tenantId, {
            callbackId: input.callbackId,
            attempt: attempt.number,
            outcome: outcome ?? 'failed',
            agentId: attempt.agentId,
          });
        if (result.agent !== 'answered') {
          attempt.outcome = 'agent_no_answer';
          told(attempt.outcome);
          await place.missed(result.agent === 'no_answer' ? 'no_answer' : 'failed');
          status.state = CallbackState.Queued;
          continue;
        }
        await place.answered();
        await place.ended(result.talkSeconds);
        attempt.outcome = result.customer ?? 'failed';
        attempt.talkSeconds = result.talkSeconds;
        told(attempt.outcome);
        if (attempt.outcome === 'answered') {
          status.state = CallbackState.Connected;
          if (recordAs) {
            const stored = await flowData
              .storeRecording({
                ...placed,
                tenantId: request.tenantId,
                name: recordAs,
                kind: 'call',
                durationMs: result.talkSeconds * 1000,
                callId: entryId,
                agentId: offer.agent.id,
              })
              .catch((err: unknown) => {
                // A conversation cut before anything was recorded has no recording: the callback still
                // reached its customer.
                if (place.isLegacy) throw err;
                return { recordingId: undefined };
              });
            status.recordingId = stored.recordingId;
          }
          return finish(CallbackState.Completed);
        }
        break;
      }
      if (cancelled) return finish(CallbackState.Cancelled);
    }
    return finish(CallbackState.Failed, `no answer after ${request.maxAttempts} attempts`);
  } finally {
    await place.close('cancelled');
  }
}

/** The three steps callbacks started before CALLBACK_JOIN_PATCH replay: load the queue, announce, enter. */
async function joinTheOldWay(place: QueuePlace, entry: QueueEntry): Promise<boolean> {
  const queue = await acd
    .loadQueue({ tenantId: place.tenantId, queueId: entry.queueId })
    .catch(() => undefined);
  if (!queue) return false;
  const { queueId: _queueId, ...rest } = entry;
  await place.enter(queue, rest, 'publish-then-enter');
  return true;
}
