import {
  CancellationScope,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  setWorkflowOptions,
} from '@temporalio/workflow';
import { pinnedWhenVersioned } from '../shared/versioning';
import { answerNow, ariCommand, mediaWait } from '../shared/activity-profiles';
import { finishCall, noteEnding, scriptEnder } from '../shared/call-ending';
import { publish } from '../shared/domain-events';
import {
  CallSearchAttributes,
  CallState,
  callStatusQuery,
  endCallSignal,
  hangupSignal,
  type CallInput,
  type CallStatus,
  type DigitCollection,
} from './contract';

const DEFAULT_COLLECT: DigitCollection = {
  maxDigits: 4,
  terminator: '#',
  firstDigitTimeoutMs: 5000,
  interDigitTimeoutMs: 3000,
};

const now = (): string => new Date().toISOString();

/** One inbound call: answer, prompt, collect DTMF, read the digits back, hang up, and write the CDR. */
export async function CallWorkflow(input: CallInput): Promise<CallStatus> {
  const parties = { callId: workflowInfo().workflowId, from: input.from, to: input.to };
  void publish('call.started', input.tenantId, { ...parties, direction: 'inbound' });
  const status: CallStatus = {
    workflowId: workflowInfo().workflowId,
    channelId: input.channelId,
    tenantId: input.tenantId,
    from: input.from,
    to: input.to,
    state: CallState.Ringing,
    digits: '',
    startedAt: input.startedAt,
  };
  const collect = { ...DEFAULT_COLLECT, ...input.collect };
  const channel = { channelId: input.channelId, node: input.node };
  const script = new CancellationScope();

  const enter = (state: CallState): void => {
    status.state = state;
    upsertSearchAttributes([{ key: CallSearchAttributes.state, value: state }]);
  };

  setHandler(callStatusQuery, () => status);
  const ender = scriptEnder(script);
  setHandler(hangupSignal, (notice) => {
    if (status.endedBy) return;
    status.endedBy = 'caller';
    status.endedAt = notice.at;
    ender.callerHungUp();
  });
  let endRequested = false;
  setHandler(endCallSignal, (request) => {
    if (status.endedBy) return;
    status.endedBy = 'system';
    status.endedAt = request.at;
    endRequested = true;
    script.cancel();
  });

  try {
    await script.run(async () => {
      if (input.answeredAt) status.answeredAt = input.answeredAt;
      else {
        await answerNow.answer(channel);
        status.answeredAt = now();
      }
      void publish('call.answered', input.tenantId, parties);
      enter(CallState.Collecting);
      const collected = await mediaWait.collectDigits({
        ...channel,
        fromSeq: input.eventSeq,
        prompt: input.prompt ?? ['sound:vm-enter-num-to-call'],
        ...collect,
      });
      status.digits = collected.digits;
      status.collectEndedBy = collected.endedBy;
      if (collected.endedBy === 'hangup') return;

      enter(CallState.ReadingBack);
      const readback = collected.digits
        ? ['sound:you-entered', `digits:${collected.digits}`, 'sound:goodbye']
        : ['sound:goodbye'];
      const played = await mediaWait.playMedia({ ...channel, fromSeq: collected.nextSeq, media: readback });
      if (played.outcome === 'hangup') return;

      enter(CallState.Ending);
      status.endedBy ??= 'system';
      await ariCommand.hangup(channel);
    });
  } catch (err) {
    noteEnding(status, err);
  }
  ender.done();
  // The channel is still up after an end request: only the hangup that follows it is the caller's signal.
  if (endRequested) await ariCommand.hangup(channel).catch(() => undefined);
  enter(CallState.Ended);
  await finishCall(status, channel);
  await publish('call.ended', input.tenantId, {
    ...parties,
    disposition: status.disposition!,
    endedBy: status.endedBy!,
    durationMs: Math.max(0, Date.parse(status.endedAt!) - Date.parse(status.startedAt)),
  });
  return status;
}

// Pinned to the build that started it when workers are versioned (workflows/shared/versioning.ts).
setWorkflowOptions(pinnedWhenVersioned, CallWorkflow);
