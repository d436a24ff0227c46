import { CancellationScope, condition, patched, setHandler, uuid4 } from '@temporalio/workflow';
import { acd, ariCommand, callControl, flowData, mediaWait } from '../shared/activity-profiles';
import type { CallLine } from '../flow-call/call-ports';
import { CallerHungUp, type QueueRequest } from '../../domain/flow/ports';
import { transferCallSignal, type TransferTarget } from './contract';
import type { QueueConfig } from '../../domain/acd/model';
import { QueuePlace } from './queue-place';

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

/** Announcements at the queue's interval before the interval starts doubling. @default 20 */
export const ANNOUNCEMENTS_AT_INTERVAL = 20;
/** The longest gap between announcements once it has doubled. @default 3600 s */
const LONGEST_ANNOUNCEMENT_GAP_SEC = 3600;

/**
 * Seconds until the next announcement after `made` announcements. Past the first ones the gap doubles (up
 * to an hour), so even a day-long wait makes ~50 announcements and its history stays well under Temporal's
 * suggested 4,096 events (each announcement is ~30 events).
 */
export function announcementGapSec(intervalSec: number, made: number): number {
  const doublings = Math.max(0, made - ANNOUNCEMENTS_AT_INTERVAL + 1);
  return Math.min(
    Math.max(intervalSec, LONGEST_ANNOUNCEMENT_GAP_SEC),
    intervalSec * 2 ** Math.min(doublings, 20),
  );
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
  const place = new QueuePlace(line.tenantId, line.callId);
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
  await place.enter(
    queue,
    {
      entryId,
      kind: 'call',
      priority: request.priority,
      skills: request.skills,
      enqueuedAt: queued.enqueuedAt,
      from: line.from,
    },
    'enter-then-publish',
  );
  const deadline = Date.now() + (request.maxWaitSec ?? queue.maxWaitSec) * 1000;
  const announces = queue.announce.position || queue.announce.estimatedWait;
  let nextAnnouncement = Date.now() + queue.announce.intervalSec * 1000;
  let announcementsMade = 0;
  const channel = line.channel;
  try {
    await ariCommand.startMoh({ ...channel, mohClass: queue.mohClass });
    for (;;) {
      const wakeAt = Math.min(deadline, announces ? nextAnnouncement : deadline);
      await condition(() => place.hasOffer || !!transfer, Math.max(1, wakeAt - Date.now()));
      if (transfer) {
        await place.leave('overflow');
        await ariCommand.stopMoh(channel).catch(() => undefined);
        return transferTo(transfer);
      }
      if (place.hasOffer) {
        const offer = place.takeOffer();
        const legId = `${entryId}-agent-${uuid4().slice(0, 8)}`;
        const bridgeId = `${legId}-bridge`;
        Object.assign(queued, { phase: 'ringing', agent: offer.agent, agentLegId: legId, bridgeId });
        report(queued);
        // The music stops inside the dial since this patch: one activity and one workflow task fewer
        // between the offer and the agent's phone ringing.
        const mohInDial = patched('acd-stop-moh-in-dial');
        if (!mohInDial) await ariCommand.stopMoh(channel).catch(() => undefined);
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
          let rang;
          try {
            rang = await callControl.connectAgent({
              ...dial,
              fromSeq: line.cursor,
              phase: 'ring',
              ...(mohInDial ? { stopMoh: true } : {}),
            });
          } catch (err) {
            // Ringing failed for good (not the agent's doing): the agent is free again and the caller keeps
            // their place. Entries from before this release failed the call here, as that code did.
            if (place.isLegacy) throw err;
            await place.release(true);
            return 'again';
          }
          line.cursor = rang.nextSeq;
          if (!rang.answered) {
            // A caller who hangs up while the agent rings frees the agent; an agent who does not answer
            // (or cannot be reached) is the agent's problem, and the caller keeps their place.
            if (rang.outcome === 'hangup') {
              await place.leave('abandoned');
              return 'hangup';
            }
            await place.missed(rang.outcome === 'no_answer' ? 'no_answer' : 'failed');
            return 'again';
          }
          await place.answered();
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
          await place.ended(result.talkSeconds);
          if (recordAs) {
            queued.recordingId = (
              await flowData
                .storeRecording({
                  node: channel.node,
                  tenantId: line.tenantId,
                  name: recordAs,
                  kind: 'call',
                  durationMs: result.talkSeconds * 1000,
                  callId: line.callId,
                  agentId: offer.agent.id,
                })
                .catch((err: unknown) => {
                  // A conversation cut before anything was recorded has no recording: not a failed call.
                  if (place.isLegacy) throw err;
                  return { recordingId: undefined };
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
        await place.leave('overflow');
        line.lastQueued = { queueId: queue.id, enqueuedAt: queued.enqueuedAt };
        await ariCommand.stopMoh(channel).catch(() => undefined);
        report(undefined);
        return 'overflow';
      }
      if (announces && Date.now() >= nextAnnouncement) {
        announcementsMade++;
        const gapSec = place.isLegacy
          ? queue.announce.intervalSec
          : announcementGapSec(queue.announce.intervalSec, announcementsMade);
        nextAnnouncement = Date.now() + gapSec * 1000;
        const where = await place.position();
        const media = where ? announcement(where.position, where.estimatedWaitSec, queue) : [];
        if (media.length && !place.hasOffer) {
          await ariCommand.stopMoh(channel).catch(() => undefined);
          const { outcome } = await mediaWait.playMedia({ ...channel, fromSeq: line.cursor, media });
          if (outcome === 'hangup') throw new CallerHungUp();
          await ariCommand.startMoh({ ...channel, mohClass: queue.mohClass });
        }
      }
    }
  } catch (err) {
    await place.leave('abandoned');
    throw err;
  } finally {
    await place.close('abandoned');
  }
}
