import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  setHandler,
  uuid4,
} from '@temporalio/workflow';
import { acd, ariCommand, callControl, flowData, mediaWait } from '../activity-profiles';
import type { CallLine } from '../flow/call-ports';
import { publish } from '../domain-events';
import { CallerHungUp, type QueueRequest } from '../flow/ports';
import {
  acdWorkflowId,
  agentOfferedSignal,
  callEndedSignal,
  leaveSignal,
  offerResultSignal,
  transferCallSignal,
  type AgentOffer,
  type TransferTarget,
  type QueueConfig,
} from './contract';

/** Where a queued call is, for the status query and the supervisor console. */
export interface QueuedCall {
  queueId: string;
  queueName: string;
  enqueuedAt: string;
  phase: 'waiting' | 'ringing' | 'talking';
  agent?: { id: string; name: string };
  /** The agent's channel and the bridge while connected: what supervisors snoop on. */
  agentLegId?: string;
  bridgeId?: string;
  recordingId?: string;
}

/** Media for a position / estimated-wait announcement, from Asterisk's queue sounds. */
function announcement(position: number, waitSec: number | null, queue: QueueConfig): string[] {
  const media: string[] = [];
  if (queue.announce.position) {
    media.push(
      ...(position === 1
        ? ['sound:queue-youarenext']
        : ['sound:queue-thereare', `number:${position}`, 'sound:queue-callswaiting']),
    );
  }
  if (queue.announce.estimatedWait && waitSec !== null && waitSec >= 60) {
    media.push('sound:queue-holdtime', `number:${Math.round(waitSec / 60)}`, 'sound:queue-minutes');
  }
  return media;
}

/**
 * A call in an ACD queue: hold music while the tenant's routing workflow looks for an agent, position and
 * estimated-wait announcements at the queue's interval, and when an agent is offered, ringing them and
 * bridging (recorded). An agent who does not answer sends the call back to waiting in its place. Answers
 * `served` when the agent hangs up first, `overflow` after the wait limit; the caller hanging up throws.
 */
export async function waitInQueue(
  line: CallLine,
  request: QueueRequest,
  report: (call: QueuedCall | undefined) => void,
): Promise<'served' | 'overflow'> {
  const queue = await acd.loadQueue({ tenantId: line.tenantId, queueId: request.queueId });
  const router = getExternalWorkflowHandle(acdWorkflowId(line.tenantId));
  const offers: AgentOffer[] = [];
  setHandler(agentOfferedSignal, (offer) => void offers.push(offer));
  let transfer: TransferTarget | undefined;
  setHandler(transferCallSignal, ({ to }) => {
    transfer ??= to;
  });
  /** A blind transfer, once the call has left this queue: a new place in another queue, or a number. */
  const transferTo = async (to: TransferTarget): Promise<'served' | 'overflow'> => {
    if (to.kind === 'queue') {
      return waitInQueue(line, { queueId: to.queueId, priority: request.priority, skills: [] }, report);
    }
    const result = await callControl.transfer({
      ...line.channel,
      fromSeq: line.cursor,
      to,
      ringSeconds: 30,
    });
    line.cursor = result.nextSeq;
    if (result.outcome === 'hangup') throw new CallerHungUp();
    return 'served';
  };
  const entryId = line.callId;
  const queued: QueuedCall = {
    queueId: queue.id,
    queueName: queue.name,
    enqueuedAt: new Date().toISOString(),
    phase: 'waiting',
  };
  report(queued);
  await acd.enqueue({
    tenantId: line.tenantId,
    queue,
    entry: {
      entryId,
      kind: 'call',
      queueId: queue.id,
      priority: request.priority,
      skills: request.skills,
      enqueuedAt: queued.enqueuedAt,
      from: line.from,
    },
  });
  void publish('queue.entered', line.tenantId, {
    queueId: queue.id,
    entryId,
    kind: 'call',
    priority: request.priority,
    from: line.from,
  });
  const deadline = Date.now() + (request.maxWaitSec ?? queue.maxWaitSec) * 1000;
  const announces = queue.announce.position || queue.announce.estimatedWait;
  let nextAnnouncement = Date.now() + queue.announce.intervalSec * 1000;
  let left = false;
  const leave = async (reason: 'abandoned' | 'overflow') => {
    if (left) return;
    left = true;
    // Also when the caller's hangup cancelled the flow: the routing workflow must not offer them an agent.
    await CancellationScope.nonCancellable(() => router.signal(leaveSignal, { entryId, reason }));
  };
  const channel = line.channel;
  try {
    await ariCommand.startMoh({ ...channel, mohClass: queue.mohClass });
    for (;;) {
      const wakeAt = Math.min(deadline, announces ? nextAnnouncement : deadline);
      await condition(() => offers.length > 0 || !!transfer, Math.max(1, wakeAt - Date.now()));
      if (transfer) {
        await leave('overflow');
        await ariCommand.stopMoh(channel).catch(() => undefined);
        return transferTo(transfer);
      }
      if (offers.length) {
        const offer = offers.shift()!;
        const legId = `${entryId}-agent-${uuid4().slice(0, 8)}`;
        const bridgeId = `${legId}-bridge`;
        Object.assign(queued, { phase: 'ringing', agent: offer.agent, agentLegId: legId, bridgeId });
        report(queued);
        await ariCommand.stopMoh(channel).catch(() => undefined);
        // The conversation runs to its end even when the caller's hangup cancels the flow: the routing
        // workflow must hear how it ended, and the recording must be kept.
        const served = await CancellationScope.nonCancellable(async () => {
          const dial = {
            ...channel,
            endpoint: offer.agent.endpoint,
            callerId: line.from,
            ringSeconds: offer.ringTimeoutSec,
            legId,
            bridgeId,
          };
          const rang = await callControl.connectAgent({ ...dial, fromSeq: line.cursor, phase: 'ring' });
          line.cursor = rang.nextSeq;
          if (!rang.answered) {
            // A caller who hangs up while the agent rings frees the agent; an agent who does not answer
            // (or cannot be reached) is the agent's problem, and the caller keeps their place.
            if (rang.outcome === 'hangup') {
              await leave('abandoned');
              return 'hangup';
            }
            await router.signal(offerResultSignal, {
              entryId,
              offerId: offer.offerId,
              outcome: rang.outcome === 'no_answer' ? 'no_answer' : 'failed',
            });
            return 'again';
          }
          left = true;
          await router.signal(offerResultSignal, { entryId, offerId: offer.offerId, outcome: 'answered' });
          queued.phase = 'talking';
          report(queued);
          const recordAs = offer.record ? `call-${legId}` : undefined;
          let talking = true;
          // A blind transfer ends the agent's part: their leg is hung up, the conversation activity ends.
          const ender = condition(() => !!transfer || !talking).then(async () => {
            if (transfer && talking) await ariCommand.hangup({ ...channel, channelId: legId });
          });
          const result = await callControl.connectAgent({
            ...dial,
            fromSeq: line.cursor,
            phase: 'talk',
            recordAs,
          });
          talking = false;
          await ender;
          line.cursor = result.nextSeq;
          await router.signal(callEndedSignal, {
            entryId,
            agentId: offer.agent.id,
            talkSeconds: result.talkSeconds,
          });
          if (recordAs) {
            queued.recordingId = (
              await flowData.storeRecording({
                tenantId: line.tenantId,
                name: recordAs,
                kind: 'call',
                durationMs: result.talkSeconds * 1000,
                callId: line.callId,
                agentId: offer.agent.id,
              })
            ).recordingId;
          }
          return result.outcome === 'hangup' ? 'hangup' : 'served';
        });
        if (served === 'hangup') throw new CallerHungUp();
        if (served === 'served') {
          report(undefined);
          return transfer ? transferTo(transfer) : 'served';
        }
        Object.assign(queued, {
          phase: 'waiting',
          agent: undefined,
          agentLegId: undefined,
          bridgeId: undefined,
        });
        report(queued);
        await ariCommand.startMoh({ ...channel, mohClass: queue.mohClass });
        continue;
      }
      if (Date.now() >= deadline) {
        await leave('overflow');
        line.lastQueued = { queueId: queue.id, enqueuedAt: queued.enqueuedAt };
        await ariCommand.stopMoh(channel).catch(() => undefined);
        report(undefined);
        return 'overflow';
      }
      if (announces && Date.now() >= nextAnnouncement) {
        nextAnnouncement = Date.now() + queue.announce.intervalSec * 1000;
        const where = await acd.position({ tenantId: line.tenantId, entryId });
        const media = where ? announcement(where.position, where.estimatedWaitSec, queue) : [];
        if (media.length && !offers.length) {
          await ariCommand.stopMoh(channel).catch(() => undefined);
          const { outcome } = await mediaWait.playMedia({ ...channel, fromSeq: line.cursor, media });
          if (outcome === 'hangup') throw new CallerHungUp();
          await ariCommand.startMoh({ ...channel, mohClass: queue.mohClass });
        }
      }
    }
  } catch (err) {
    await leave('abandoned');
    throw err;
  }
}
