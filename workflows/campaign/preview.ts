import { CancellationScope, condition, uuid4 } from '@temporalio/workflow';
import { acd, callControl, flowData, nodeForNewCall } from '../shared/activity-profiles';
import { QueuePlace } from '../acd/queue-place';
import type { CampaignDisposition, CampaignPlan, ClaimedContact } from './contract';

/**
 * A preview attempt: the contact waits in the queue like a caller; the agent it is offered to sees it (the
 * agent's current entry names the attempt, the queue lists the number) while their phone rings, accepts by
 * answering, and only then is the contact dialed, the agent hearing ringback. An agent who does not answer
 * passes the contact on, as with any offer. The queue's `record` setting applies as for any queue call.
 */
export async function previewAttempt(
  plan: CampaignPlan & { target: { kind: 'queue'; queueId: string } },
  contact: ClaimedContact,
  attemptId: string,
): Promise<CampaignDisposition> {
  const place = new QueuePlace(plan.tenantId, attemptId);
  const queue = await acd.loadQueue({ tenantId: plan.tenantId, queueId: plan.target.queueId });
  await place.enter(
    queue,
    {
      entryId: attemptId,
      kind: 'callback',
      priority: 50,
      skills: [],
      enqueuedAt: new Date().toISOString(),
      from: contact.phone,
    },
    'no-publish',
  );
  try {
    for (;;) {
      await condition(() => place.hasOffer);
      const offer = place.takeOffer();
      const legs = `${attemptId}-${uuid4().slice(0, 6)}`;
      // Entries from before this module ignored the queue's record setting; their replays still do.
      const recordAs = offer.record && !place.isLegacy ? `call-${legs}` : undefined;
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
            number: contact.phone,
            legId: `${legs}-customer`,
            ringSeconds: plan.ringSeconds,
            callerId: plan.callerId,
          },
          bridgeId: `${legs}-bridge`,
          ...(recordAs ? { recordAs } : {}),
        }),
      );
      if (result.agent !== 'answered') {
        await place.missed(result.agent === 'no_answer' ? 'no_answer' : 'failed');
        continue;
      }
      await place.answered();
      await place.ended(result.talkSeconds);
      if (recordAs && result.customer === 'answered') {
        await flowData
          .storeRecording({
            ...placed,
            tenantId: plan.tenantId,
            name: recordAs,
            kind: 'call',
            durationMs: result.talkSeconds * 1000,
            callId: attemptId,
            agentId: offer.agent.id,
          })
          .catch(() => undefined);
      }
      return result.customer ?? 'failed';
    }
  } catch (err) {
    // Stopped while waiting for an agent: out of the line.
    await place.leave('cancelled');
    throw err;
  } finally {
    await place.close('cancelled');
  }
}
