import {
  ApplicationFailure,
  CancellationScope,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { answerNow, ariCommand } from './activity-profiles';
import { CallSearchAttributes, CallState, callStatusQuery, hangupSignal } from './call-contract';
import { finishCall, noteEnding } from './call-ending';
import { flowStatusQuery, type FlowCallInput, type FlowCallStatus } from './flow-call-contract';
import { CallerHungUp, HANDLERS, type FlowRuntime } from './flow/handlers';

/** Node visits per call before the flow is stopped: validation forbids busy loops, this bounds the rest. */
const MAX_STEPS = 1000;

const now = (): string => new Date().toISOString();

/**
 * An inbound call that runs a published flow, node by node, on the version pinned when the call started:
 * the definition is part of the input, so it never changes under a running call, and replays see it too.
 */
export async function FlowCallWorkflow(input: FlowCallInput): Promise<FlowCallStatus> {
  const definition = input.flow.definition;
  const nodes = new Map(definition.nodes.map((n) => [n.id, n]));
  const edges = new Map(definition.edges.map((e) => [`${e.from}:${e.exit}`, e.to]));
  const secrets = new Set(definition.variables.filter((v) => v.secret).map((v) => v.name));
  const rt: FlowRuntime = {
    channel: { channelId: input.channelId, node: input.node },
    cursor: input.eventSeq,
    variables: {
      'caller.number': input.from,
      'caller.name': '',
      'call.to': input.to,
      'call.id': workflowInfo().workflowId,
      'tenant.id': input.tenantId,
      ...Object.fromEntries(definition.variables.map((v) => [v.name, v.initial ?? ''])),
    },
  };
  const status: FlowCallStatus = {
    workflowId: workflowInfo().workflowId,
    channelId: input.channelId,
    tenantId: input.tenantId,
    from: input.from,
    to: input.to,
    state: CallState.Ringing,
    digits: '',
    startedAt: input.startedAt,
    flowId: input.flow.id,
    version: input.flow.version,
    path: [],
    variables: {},
  };
  const snapshot = (): FlowCallStatus => ({
    ...status,
    variables: Object.fromEntries(
      Object.entries(rt.variables).map(([k, v]) => [k, secrets.has(k) ? '***' : v]),
    ),
  });
  const enter = (state: CallState): void => {
    status.state = state;
    upsertSearchAttributes([{ key: CallSearchAttributes.state, value: state }]);
  };

  const script = new CancellationScope();
  setHandler(flowStatusQuery, snapshot);
  setHandler(callStatusQuery, snapshot);
  setHandler(hangupSignal, (notice) => {
    if (status.endedBy) return;
    status.endedBy = 'caller';
    status.endedAt = notice.at;
    script.cancel();
  });

  try {
    await script.run(async () => {
      await answerNow.answer(rt.channel);
      status.answeredAt = now();
      enter(CallState.InFlow);
      for (let nodeId: string | undefined = definition.start, steps = 0; nodeId; steps++) {
        if (steps >= MAX_STEPS) {
          throw ApplicationFailure.create({
            type: 'FlowTooLong',
            message: `${MAX_STEPS} nodes run`,
            nonRetryable: true,
          });
        }
        const node = nodes.get(nodeId)!;
        const step = { nodeId, type: node.type, enteredAt: now() } as FlowCallStatus['path'][number];
        status.path.push(step);
        status.currentNode = nodeId;
        // Parameters arrive normalized (flow/normalize.ts): no schema library in workflow code.
        const exit = await HANDLERS[node.type]!(node.params, rt);
        if (exit === undefined) {
          status.endedBy ??= 'system';
          return;
        }
        step.exit = exit;
        nodeId = edges.get(`${nodeId}:${exit}`);
      }
      // Validation requires every exit to lead somewhere; this is for a definition that slipped past it.
      status.endedBy ??= 'system';
      await ariCommand.hangup(rt.channel);
    });
  } catch (err) {
    noteEnding(status, err, (e: unknown) => e instanceof CallerHungUp);
  }
  enter(CallState.Ended);
  await finishCall(status, rt.channel);
  return snapshot();
}
