import {
  ApplicationFailure,
  CancellationScope,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  setWorkflowOptions,
} from '@temporalio/workflow';
import { pinnedWhenVersioned } from '../shared/versioning';
import { answerNow, ariCommand } from '../shared/activity-profiles';
import {
  CallSearchAttributes,
  CallState,
  callStatusQuery,
  endCallSignal,
  hangupSignal,
} from '../call/contract';
import { finishCall, noteEnding, scriptEnder } from '../shared/call-ending';
import { flowStatusQuery, type FlowCallInput, type FlowCallStatus } from './contract';
import { callPorts, type CallLine } from './call-ports';
import {
  FlowTooLong,
  initialVariables,
  runFlow,
  shownVariables,
  type FlowRun,
} from '../../domain/flow/interpreter';
import { CallerHungUp } from '../../domain/flow/ports';
import { WorkBudgetExceeded } from '../../domain/work-budget';
import { publish } from '../shared/domain-events';

const now = (): string => new Date().toISOString();

/**
 * An inbound call that runs a published flow, node by node, on the version pinned when the call started:
 * the definition is part of the input, so it never changes under a running call, and replays see it too.
 */
export async function FlowCallWorkflow(input: FlowCallInput): Promise<FlowCallStatus> {
  const { definition } = input.flow;
  const callId = workflowInfo().workflowId;
  /** The agent who last talked with the caller: named in call.ended, so agents' streams show their calls. */
  let servedBy: string | undefined;
  const line: CallLine = {
    channel: { channelId: input.channelId, node: input.node },
    cursor: input.eventSeq,
    tenantId: input.tenantId,
    callId,
    from: input.from,
    onSystemHangup: () => {
      status.endedBy ??= 'system';
    },
    onDigits: (digits) => {
      status.digits += digits;
    },
    onQueue: (queued) => {
      status.queue = queued && { ...queued };
      if (queued?.phase === 'talking' && queued.agent) servedBy = queued.agent.id;
    },
  };
  const run: FlowRun = {
    variables: initialVariables(definition, {
      from: input.from,
      to: input.to,
      callId,
      tenantId: input.tenantId,
    }),
    path: [],
  };
  const status: FlowCallStatus = {
    workflowId: callId,
    channelId: input.channelId,
    tenantId: input.tenantId,
    from: input.from,
    to: input.to,
    state: CallState.Ringing,
    digits: '',
    startedAt: input.startedAt,
    flowId: input.flow.id,
    version: input.flow.version,
    path: run.path,
    variables: {},
  };
  const snapshot = (): FlowCallStatus => ({
    ...status,
    currentNode: run.currentNode,
    variables: shownVariables(run, definition),
  });
  const enter = (state: CallState): void => {
    status.state = state;
    upsertSearchAttributes([{ key: CallSearchAttributes.state, value: state }]);
  };

  const script = new CancellationScope();
  setHandler(flowStatusQuery, snapshot);
  setHandler(callStatusQuery, snapshot);
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

  const parties = { callId, from: input.from, to: input.to };
  void publish('call.started', input.tenantId, { ...parties, direction: 'inbound', flowId: input.flow.id });
  run.onEnter = (step) =>
    void publish('flow.node_entered', input.tenantId, {
      callId,
      flowId: step.flow?.id ?? input.flow.id,
      nodeId: step.nodeId,
      nodeType: step.type,
    });
  try {
    await script.run(async () => {
      // Answered by the router already, or answered here (a run started before routers answered).
      if (input.answeredAt) status.answeredAt = input.answeredAt;
      else {
        await answerNow.answer(line.channel);
        status.answeredAt = now();
      }
      void publish('call.answered', input.tenantId, parties);
      enter(CallState.InFlow);
      try {
        await runFlow(input.flow, callPorts(line), run);
      } catch (err) {
        // A flow past its step or template budget ends the call; retrying the task could not help.
        if (err instanceof FlowTooLong || err instanceof WorkBudgetExceeded) {
          throw ApplicationFailure.create({ type: 'FlowTooLong', message: err.message, nonRetryable: true });
        }
        throw err;
      }
      status.endedBy ??= 'system';
    });
  } catch (err) {
    // The node the caller hung up in keeps what they had keyed in there.
    const last = run.path.at(-1);
    if (err instanceof CallerHungUp && err.input && last)
      last.detail = { ...last.detail, partialInput: err.input };
    noteEnding(status, err, (e: unknown) => e instanceof CallerHungUp);
  }
  ender.done();
  // The channel is still up after an end request: only the hangup that follows it is the caller's signal.
  if (endRequested) await ariCommand.hangup(line.channel).catch(() => undefined);
  enter(CallState.Ended);
  await finishCall(status, line.channel);
  await publish('call.ended', input.tenantId, {
    ...parties,
    disposition: status.disposition!,
    endedBy: status.endedBy!,
    durationMs: Math.max(0, Date.parse(status.endedAt!) - Date.parse(status.startedAt)),
    ...(servedBy ? { agentId: servedBy } : {}),
  });
  return snapshot();
}

// Pinned to the build that started it when workers are versioned (workflows/shared/versioning.ts).
setWorkflowOptions(pinnedWhenVersioned, FlowCallWorkflow);
