import {
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
  setWorkflowOptions,
} from '@temporalio/workflow';
import { pinnedWhenVersioned } from '../shared/versioning';
import { waitInQueue } from '../acd/wait-in-queue';
import {
  ariCommand,
  attemptFlowNow,
  attemptNow,
  attemptReportNow,
  callControl,
  campaignData,
  flowData,
  nodeForNewCall,
} from '../shared/activity-profiles';
import { attemptDoneSignal, campaignWorkflowId, type CampaignDisposition } from '../campaign/contract';
import { attemptWakeSignal, type AttemptInput, type AttemptResult } from './contract';
import { callPorts, type CallLine } from '../flow-call/call-ports';
import { initialVariables, runFlow } from '../../domain/flow/interpreter';
import { CallerHungUp } from '../../domain/flow/ports';
import { previewAttempt } from '../campaign/preview';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Attempts from this release prepare their dial in one local activity (activities/campaign-prepare.ts). */
const PREPARE_LOCAL_PATCH = 'attempt-prepare-local';
/**
 * Attempts from this release load their flow and finish (record and report) in local activities: 51 events
 * of an answered attempt become 38, and three workflow tasks and two activity dispatches go.
 */
const LOCAL_FINISH_PATCH = 'attempt-local-finish';

/**
 * One dial attempt of a campaign to one contact. Its workflow id names the campaign, contact and attempt,
 * so the same attempt can never be started twice. It checks the do-not-call list just before dialing,
 * dials (with AMD when asked), then runs the campaign's flow on the answered call — the contact's fields
 * as variables — or connects it to the queue's next agent. Its outcome is written with the retry rules
 * and reported to the campaign.
 */
export async function CampaignAttemptWorkflow({
  plan,
  contact,
  notBefore,
}: AttemptInput): Promise<AttemptResult> {
  // Only its arrival matters (a workflow task for an attempt orphaned by a failover): nothing to do.
  setHandler(attemptWakeSignal, () => undefined);
  const attemptId = workflowInfo().workflowId;
  // When the call was placed, once it is: the attempt may wait for its slot first.
  let startedAt = new Date().toISOString();
  let disposition: CampaignDisposition | 'cancelled' = 'failed';
  let amd: string | undefined;
  let answered = false;
  let talked = false;
  // Decided once, first: a workflow from before the patch replays its whole history on the old path.
  const finishesLocally = patched(LOCAL_FINISH_PATCH);
  try {
    const dials = !(plan.mode === 'preview' && plan.target.kind === 'queue');
    // Attempts from this release read what they need before dialing in one local activity (issue #14, I).
    const prepared = patched(PREPARE_LOCAL_PATCH)
      ? await attemptNow.prepareAttempt({ tenantId: plan.tenantId, phone: contact.phone, dials })
      : undefined;
    if (
      prepared
        ? prepared.doNotCall
        : await campaignData.isDoNotCall({ tenantId: plan.tenantId, phone: contact.phone })
    ) {
      disposition = 'dnc';
    } else if (!dials && plan.target.kind === 'queue') {
      // Agent first: nothing is dialed before an agent has accepted the contact.
      disposition = await previewAttempt({ ...plan, target: plan.target }, contact, attemptId);
      answered = disposition === 'answered';
    } else {
      const legId = `${attemptId}-leg`;
      const dial = await callControl.dialOut({
        ...(prepared ? { node: prepared.node } : await nodeForNewCall()),
        legId,
        number: contact.phone,
        callerId: plan.callerId,
        ringSeconds: plan.ringSeconds,
        amd: plan.amd,
        fromSeq: prepared ? prepared.fromSeq : await callControl.eventPosition(),
        notBefore,
        campaignId: plan.campaignId,
      });
      if (dial.outcome === 'not_dialed') {
        // Paused or stopped before this call's slot: no attempt was made; the contact is pending again.
        const released: AttemptResult = {
          attemptId,
          contactId: contact.id,
          disposition: 'failed',
          released: true,
        };
        await CancellationScope.nonCancellable(async () => {
          await campaignData.releaseContacts({ ids: [contact.id] });
          await getExternalWorkflowHandle(campaignWorkflowId(plan.campaignId))
            .signal(attemptDoneSignal, released)
            .catch(() => undefined);
        });
        return released;
      }
      if (dial.dialedAt) startedAt = dial.dialedAt;
      amd = dial.amd;
      const line: CallLine = {
        channel: { channelId: legId, node: dial.node },
        cursor: dial.nextSeq,
        tenantId: plan.tenantId,
        callId: attemptId,
        from: contact.phone,
      };
      if (dial.outcome !== 'answered') disposition = dial.outcome;
      else if (plan.amd && dial.amd === 'MACHINE') {
        disposition = 'machine';
        await ariCommand.hangup(line.channel);
      } else {
        answered = true;
        disposition = 'answered';
        if (plan.target.kind === 'flow') {
          const load = { tenantId: plan.tenantId, flowId: plan.target.flowId, callId: attemptId };
          const flow = finishesLocally
            ? await attemptFlowNow.loadSubflow(load)
            : await flowData.loadSubflow(load);
          const fields = Object.fromEntries(
            Object.entries(contact.fields).filter(([k]) => VARIABLE_NAME.test(k)),
          );
          const variables = {
            ...initialVariables(flow.definition, {
              from: plan.callerId,
              to: contact.phone,
              callId: attemptId,
              tenantId: plan.tenantId,
            }),
            ...fields,
          };
          await runFlow(flow, callPorts(line), { variables, path: [] });
        } else {
          // Answered, then waiting for an agent: hanging up before one takes the call is an abandon.
          const served = await waitInQueue(
            line,
            { queueId: plan.target.queueId, priority: 50, skills: [] },
            (q) => {
              if (q?.phase === 'talking') talked = true;
            },
          );
          disposition = served === 'served' || talked ? 'answered' : 'abandoned';
          await ariCommand.hangup(line.channel);
        }
      }
    }
  } catch (err) {
    // The callee hanging up ends a flow normally; in a queue it is an abandon unless an agent talked to them.
    if (err instanceof CallerHungUp)
      disposition = plan.target.kind === 'queue' && !talked ? 'abandoned' : 'answered';
    else if (!answered) disposition = isCancellation(err) ? 'cancelled' : 'failed';
  }
  const result: AttemptResult = {
    attemptId,
    contactId: contact.id,
    disposition: disposition === 'cancelled' ? 'failed' : disposition,
    amd,
  };
  const record = {
    campaignId: plan.campaignId,
    contactId: contact.id,
    attempt: contact.attempt,
    callId: attemptId,
    startedAt,
    disposition,
    amd,
  };
  await CancellationScope.nonCancellable(async () => {
    if (finishesLocally) return attemptReportNow.finishAttempt({ record, result });
    await campaignData.recordAttempt(record);
    await getExternalWorkflowHandle(campaignWorkflowId(plan.campaignId))
      .signal(attemptDoneSignal, result)
      .catch(() => undefined);
  });
  return result;
}

// Pinned to the build that started it when workers are versioned (workflows/shared/versioning.ts).
setWorkflowOptions(pinnedWhenVersioned, CampaignAttemptWorkflow);
