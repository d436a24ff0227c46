/**
 * Starting and reading CallbackWorkflows, shared by the gateway and the benchmarks.
 *
 * A callback whose first attempt is far off is started with a Temporal start delay: until its time it is a
 * row in Temporal's database with a timer, not a workflow in a worker's cache, so a worker holds as many
 * pending callbacks as Temporal stores (issue #14: 100,000 pending within 1 GiB). A workflow in its delay
 * has run no code and answers no query, so its status is read from the input it was started with; an
 * update first wakes it with a signal-with-start (which ends the delay).
 */
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { TypedSearchAttributes, defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { nextAttemptAt } from '../domain/callback/schedule';
import { isGrpcNotFound } from './grpc-errors';
import { CallSearchAttributes } from '../workflows/call/contract';
import {
  CallbackState,
  callbackStatusQuery,
  callbackWorkflowId,
  wakeSignal,
  type CallbackRequest,
  type CallbackStatus,
} from '../workflows/callback/contract';

const EventType = temporal.api.enums.v1.EventType;

/**
 * A callback whose first attempt is further away than this waits as a start delay. Closer ones start at
 * once: the delay saves little, and the first task plans the attempt. (CALLBACK_START_DELAY_FROM_SEC.)
 * @default 60 s
 */
export const START_DELAY_FROM_MS = 60_000;

export interface CallbackInput {
  callbackId: string;
  request: CallbackRequest;
  createdAt: string;
}

/** What the workflow's status is before it has run: what its first task would make of its input. */
export function scheduledStatus(input: CallbackInput, now = new Date()): CallbackStatus {
  const at = nextAttemptAt(input.request, [], now);
  return {
    callbackId: input.callbackId,
    request: input.request,
    state: CallbackState.Scheduled,
    attempts: [],
    createdAt: input.createdAt,
    ...(at ? { nextAttemptAt: at.toISOString() } : {}),
  };
}

const startOptions = (taskQueue: string, input: CallbackInput) =>
  ({
    workflowId: callbackWorkflowId(input.callbackId),
    taskQueue,
    args: [input],
    // A closed callback's id is never started again (a wake must not revive it).
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: new TypedSearchAttributes([
      { key: CallSearchAttributes.tenant, value: input.request.tenantId },
      { key: CallSearchAttributes.caller, value: input.request.number },
    ]),
  }) satisfies WorkflowStartOptions;

/**
 * Starts a callback; answers its status. A first attempt more than `delayFromMs` away becomes the
 * workflow's start delay, and the status is computed from the input (the workflow has not run).
 */
export async function startCallback(
  client: Client,
  taskQueue: string,
  input: CallbackInput,
  { delayFromMs = START_DELAY_FROM_MS, now = new Date() } = {},
): Promise<CallbackStatus> {
  const at = nextAttemptAt(input.request, [], now);
  const delayMs = at ? at.getTime() - now.getTime() : 0;
  if (delayMs > delayFromMs) {
    await client.workflow.start('CallbackWorkflow', {
      ...startOptions(taskQueue, input),
      startDelay: delayMs,
    });
    return scheduledStatus(input, now);
  }
  const handle = await client.workflow.start('CallbackWorkflow', startOptions(taskQueue, input));
  return handle.query(callbackStatusQuery);
}

/** The input of a callback that has not completed a workflow task yet, or undefined once it has. */
async function inputIfNotRun(client: Client, workflowId: string, runId?: string) {
  const { history } = await client.workflowService
    .getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      // Started, then (woken or due) scheduled, started and completed: five events say whether it ran.
      maximumPageSize: 5,
    })
    .catch((err: unknown) => {
      if (isGrpcNotFound(err)) {
        throw new WorkflowNotFoundError(`no callback ${workflowId}`, workflowId, runId);
      }
      throw err;
    });
  const events = history?.events ?? [];
  if (events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) return undefined;
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<CallbackInput>(payload) : undefined;
}

/**
 * A callback's status: what its input says while it waits in its start delay (or its first task is still
 * to run: a query would block until that task ran), else its query. WorkflowNotFoundError when there is no
 * such workflow.
 * @param executionTime when Temporal runs (or ran) its first task, if known (visibility lists it): a time
 *   in the past skips the history read.
 */
export async function readCallbackStatus(
  client: Client,
  workflowId: string,
  runId?: string,
  executionTime?: Date,
): Promise<CallbackStatus> {
  if (!executionTime || executionTime.getTime() > Date.now()) {
    const input = await inputIfNotRun(client, workflowId, runId);
    if (input) return scheduledStatus(input);
  }
  return client.workflow.getHandle(workflowId, runId).query(callbackStatusQuery);
}

/**
 * Before an update: a callback still in its start delay is woken (signal-with-start ends the delay; the
 * workflow is running, so nothing new starts), so the update has a workflow to run in.
 */
export async function wakeIfDelayed(
  client: Client,
  handle: WorkflowHandle,
  taskQueue: string,
): Promise<void> {
  const input = await inputIfNotRun(client, handle.workflowId);
  if (!input) return;
  await client.workflow.signalWithStart('CallbackWorkflow', {
    ...startOptions(taskQueue, input),
    signal: wakeSignal,
    signalArgs: [],
  });
}
