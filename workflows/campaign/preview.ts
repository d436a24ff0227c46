import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  setHandler,
  uuid4,
} from '@temporalio/workflow';
import { acd, callControl } from '../activity-profiles';
import {
  acdWorkflowId,
  agentOfferedSignal,
  callEndedSignal,
  leaveSignal,
  offerResultSignal,
  type AgentOffer,
} from '../acd/contract';
import type { CampaignDisposition, CampaignPlan, ClaimedContact } from './contract';

/**
 * A preview attempt: the contact waits in the queue like a caller; the agent it is offered to sees it (the
 * agent's current entry names the attempt, the queue lists the number) while their phone rings, accepts by
 * answering, and only then is the contact dialed, the agent hearing ringback. An agent who does not answer
 * passes the contact on, as with any offer.
 */
export async function previewAttempt(
  plan: CampaignPlan & { target: { kind: 'queue'; queueId: string } },
  contact: ClaimedContact,
  attemptId: string,
): Promise<CampaignDisposition> {
  const offers: AgentOffer[] = [];
  setHandler(agentOfferedSignal, (offer) => void offers.push(offer));
  const queue = await acd.loadQueue({ tenantId: plan.tenantId, queueId: plan.target.queueId });
  const router = getExternalWorkflowHandle(acdWorkflowId(plan.tenantId));
  await acd.enqueue({
    tenantId: plan.tenantId,
    queue,
    entry: {
      entryId: attemptId,
      kind: 'callback',
      queueId: queue.id,
      priority: 50,
      skills: [],
      enqueuedAt: new Date().toISOString(),
      from: contact.phone,
    },
  });
  try {
    for (;;) {
      await condition(() => offers.length > 0);
      const offer = offers.shift()!;
      const legs = `${attemptId}-${uuid4().slice(0, 6)}`;
      const result = await CancellationScope.nonCancellable(async () =>
        callControl.callbackAttempt({
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
        }),
      );
      if (result.agent !== 'answered') {
        await router.signal(offerResultSignal, {
          entryId: attemptId,
          offerId: offer.offerId,
          outcome: result.agent === 'no_answer' ? 'no_answer' : 'failed',
        });
        continue;
      }
      await router.signal(offerResultSignal, {
        entryId: attemptId,
        offerId: offer.offerId,
        outcome: 'answered',
      });
      await router.signal(callEndedSignal, {
        entryId: attemptId,
        agentId: offer.agent.id,
        talkSeconds: result.talkSeconds,
      });
      return result.customer ?? 'failed';
    }
  } catch (err) {
    // Stopped while waiting for an agent: out of the line.
    await CancellationScope.nonCancellable(() =>
      router.signal(leaveSignal, { entryId: attemptId, reason: 'cancelled' }),
    );
    throw err;
  }
}
