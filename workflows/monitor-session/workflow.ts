import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  setHandler,
  setWorkflowOptions,
} from '@temporalio/workflow';
import { pinnedWhenVersioned } from '../shared/versioning';
import type { MonitorResources } from '../../asterisk/monitor';
import { callControl, monitorStart, monitorWatch } from '../shared/activity-profiles';
import { MonitorEnd, monitorStartedUpdate, stopMonitorSignal, type MonitorSessionInput } from './contract';

type Started = { ok: true; at: string } | { ok: false; type: string; message: string };

/**
 * One supervisor monitoring session (listen, whisper or barge): rings the supervisor, connects them, and
 * ends the session when the conversation or the supervisor goes away, or when it is stopped. A workflow,
 * so that end happens whichever gateway or worker restarts meanwhile.
 */
/** The session's resources, addressed to the Asterisk the call is on (see onChannelNode). */
const onNodeOf = (input: MonitorSessionInput): MonitorResources & { node?: string } =>
  input.node ? { ...input.resources, node: input.node } : input.resources;

export async function MonitorSessionWorkflow(input: MonitorSessionInput): Promise<{ ended: MonitorEnd }> {
  let started: Started | undefined;
  let stopRequested = false;
  setHandler(monitorStartedUpdate, async () => {
    await condition(() => started !== undefined);
    if (!started!.ok) {
      throw ApplicationFailure.create({ type: started!.type, message: started!.message, nonRetryable: true });
    }
    return { startedAt: started!.at };
  });
  setHandler(stopMonitorSignal, () => {
    stopRequested = true;
  });

  // Before anything is dialed: an end during the setup is then read, not missed.
  const fromSeq = await callControl.eventPosition();
  try {
    await monitorStart.startMonitorSession(input);
    started = { ok: true, at: new Date().toISOString() };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    started = {
      ok: false,
      type: cause instanceof ApplicationFailure ? (cause.type ?? 'failed') : 'failed',
      message: cause instanceof Error ? cause.message : 'the session could not start',
    };
    await monitorWatch.stopMonitorSession(onNodeOf(input));
    await condition(allHandlersFinished);
    return { ended: MonitorEnd.NotStarted };
  }

  const watching = new CancellationScope();
  const ended = watching.run(() =>
    monitorWatch.awaitMonitorEnd({
      fromSeq,
      agentLegId: input.agentLegId,
      resources: input.resources,
      ...(input.node ? { node: input.node } : {}),
    }),
  );
  // A watch that fails for good ends the session too: better a supervisor cut off than one left listening.
  await Promise.race([ended.catch(() => undefined), condition(() => stopRequested)]);
  if (stopRequested) watching.cancel();
  await monitorWatch.stopMonitorSession(onNodeOf(input));
  await condition(allHandlersFinished);
  return { ended: stopRequested ? MonitorEnd.Stopped : MonitorEnd.Hangup };
}

// Pinned to the build that started it when workers are versioned (workflows/shared/versioning.ts).
setWorkflowOptions(pinnedWhenVersioned, MonitorSessionWorkflow);
