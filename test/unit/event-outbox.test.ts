import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { eventCapture, type CapturedEvent } from '../support/event-capture';
import { quietTemporalRuntime, temporalBinary } from '../support/temporal';
import { OutboxOrderWorkflow, OutboxWorkflow, goOn } from './fixtures/outbox-workflows';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  quietTemporalRuntime();
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinary() } },
  });
});
afterAll(async () => {
  await env?.teardown();
});

test('events ride on the next activity, are flushed when none follows or the carrier fails, and replay', async () => {
  const seen: CapturedEvent[] = [];
  const inputs: object[] = [];
  const capture = eventCapture((e) => seen.push(e));
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'outbox',
    workflowsPath: require.resolve('./fixtures/outbox-workflows'),
    activities: {
      ...capture.activities,
      work: async (input: { step: string }) => {
        inputs.push(input);
        if (input.step === 'fail') throw ApplicationFailure.create({ message: 'no', nonRetryable: true });
        return input.step;
      },
    },
    interceptors: capture.interceptors,
  });
  const handle = await worker.runUntil(async () => {
    const h = await env.client.workflow.start(OutboxWorkflow, {
      taskQueue: 'outbox',
      workflowId: 'outbox-1',
    });
    expect(await h.result()).toEqual(['first', 'failed']);
    return h;
  });

  const callIds = (events: CapturedEvent[]) => events.map((e) => e.data.callId);
  // Each once by id (the failed carrier's event went out with it and again on its own: one id, which
  // JetStream stores once), in the order published.
  const byId = new Map(seen.map((e) => [e.id, e]));
  expect(callIds([...byId.values()])).toEqual(['rides-1', 'rides-2', 'flushed', 'carrier-fails', 'last']);
  // The activities never saw the events they carried.
  expect(inputs).toEqual([{ step: 'first' }, { step: 'fail' }]);

  const history = await handle.fetchHistory();
  const scheduled = history
    .events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter(Boolean);
  // Two carriers and two flushes: after the timer-less gap, and the failed carrier's event together with
  // the last one (both waiting in the same activation). No activity per event.
  expect(scheduled).toEqual(['work', 'emitEvents', 'work', 'emitEvents']);
  expect(scheduled).not.toContain('emitEvent');

  // Replaying the history with the same code issues the same commands.
  await Worker.runReplayHistory(
    { workflowsPath: require.resolve('./fixtures/outbox-workflows') },
    history,
    'outbox-1',
  );
});

test('an event published while a flushed one is still going out is not handed to an activity before it', async () => {
  const seen: string[] = [];
  const capture = eventCapture((e) => seen.push(String(e.data.callId)));
  let workCalled!: () => void;
  const workSeen = new Promise<void>((resolve) => (workCalled = resolve));
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'outbox-order',
    workflowsPath: require.resolve('./fixtures/outbox-workflows'),
    activities: {
      emitEvents: async (input: { events: CapturedEvent[] }) => {
        if (input.events.some((e) => e.data.callId === 'first')) {
          // The workflow goes on while this batch is still going out; a carrier it schedules now would
          // publish on its own worker slot before this one returns.
          await env.client.workflow.getHandle('outbox-order-1').signal(goOn);
          await Promise.race([workSeen, new Promise((r) => setTimeout(r, 3000))]);
        }
        return capture.activities.emitEvents(input);
      },
      work: async (input: { step: string }) => {
        workCalled();
        return input.step;
      },
    },
    interceptors: capture.interceptors,
  });
  const history = await worker.runUntil(async () => {
    const h = await env.client.workflow.start(OutboxOrderWorkflow, {
      taskQueue: 'outbox-order',
      workflowId: 'outbox-order-1',
    });
    expect(await h.result()).toBe('after');
    return h.fetchHistory();
  });
  expect(seen).toEqual(['first', 'second', 'third']);
  await Worker.runReplayHistory(
    { workflowsPath: require.resolve('./fixtures/outbox-workflows') },
    history,
    'outbox-order-1',
  );
});
