import { runWithNodeQueues } from '../support/node-queues';
import { eventCapture } from '../support/event-capture';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import path from 'node:path';
import type { CollectDigitsInput, PlayMediaInput } from '../../activities/ari';
import type { CdrInput } from '../../activities/cdr';
import { CallWorkflow } from '../../workflows/call/workflow';
import { callStatusQuery, hangupSignal, type CallInput } from '../../workflows/call/contract';
import { quietTemporalRuntime, temporalBinary } from '../support/temporal';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  quietTemporalRuntime();
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinary() }, searchAttributes: [] },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: { CallState: 2, CallerNumber: 2, DialedNumber: 2, TenantId: 2 },
  });
});
afterAll(async () => {
  await env?.teardown();
});

const input: CallInput = {
  tenantId: 'default',
  channelId: 'c1',
  node: 'ast1',
  from: '5550100',
  to: '5551000',
  startedAt: '2026-11-25T10:00:00.000Z',
  eventSeq: 5,
};

type Mocks = Record<string, (...args: any[]) => Promise<unknown>>;

async function runCall(mocks: Mocks, drive?: (h: WorkflowHandle<typeof CallWorkflow>) => Promise<void>) {
  const cdrs: CdrInput[] = [];
  const events: string[] = [];
  const capture = eventCapture((e) => events.push(e.type));
  const activities = {
    answer: async () => undefined,
    hangup: async () => undefined,
    playMedia: async () => ({ outcome: 'finished' }),
    recordCdr: async (cdr: CdrInput) => void cdrs.push(cdr),
    ...capture.activities,
    ...mocks,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'wf-test',
    workflowsPath: path.resolve(__dirname, '../../workflows'),
    activities,
    interceptors: capture.interceptors,
  });
  const queues = { connection: env.nativeConnection, taskQueue: 'wf-test', nodes: ['ast1'] };
  const result = await runWithNodeQueues(
    worker,
    { ...queues, activities, interceptors: capture.interceptors },
    async () => {
      const handle = await env.client.workflow.start(CallWorkflow, {
        taskQueue: 'wf-test',
        workflowId: `wf-${Math.random().toString(36).slice(2)}`,
        args: [input],
      });
      if (drive) await drive(handle);
      return handle.result();
    },
  );
  return { result, cdrs, events };
}

test('collects digits, reads them back from where collection stopped, and writes one CDR', async () => {
  const played: PlayMediaInput[] = [];
  const { result, cdrs, events } = await runCall({
    collectDigits: async (i: CollectDigitsInput) => {
      expect(i).toMatchObject({ fromSeq: 5, maxDigits: 4, terminator: '#' });
      // The events ride on the activity, which never sees them (the worker's interceptor takes them off).
      expect(i).not.toHaveProperty('__cticloudEvents');
      return { digits: '12', endedBy: 'terminator', nextSeq: 9 };
    },
    playMedia: async (i: PlayMediaInput) => {
      played.push(i);
      return { outcome: 'finished' };
    },
  });
  expect(played).toEqual([
    expect.objectContaining({ fromSeq: 9, media: ['sound:you-entered', 'digits:12', 'sound:goodbye'] }),
  ]);
  expect(result).toMatchObject({ digits: '12', disposition: 'answered', endedBy: 'system', state: 'ended' });
  expect(cdrs).toHaveLength(1);
  expect(cdrs[0]).toMatchObject({ digits: '12', disposition: 'answered', node: 'ast1', channelId: 'c1' });
  expect(events).toEqual(['call.started', 'call.answered', 'call.ended']);
});

test('a hangup signal while collecting cancels the prompt and ends the call as hung up by the caller', async () => {
  let collectCancelled = false;
  const { result, cdrs } = await runCall(
    {
      collectDigits: async () => {
        const ctx = Context.current();
        try {
          for (;;) {
            ctx.heartbeat();
            await ctx.sleep(50);
          }
        } catch (err) {
          collectCancelled = true;
          throw err;
        }
      },
    },
    async (handle) => {
      for (let i = 0; i < 100; i++) {
        if ((await handle.query(callStatusQuery)).state === 'collecting') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await handle.signal(hangupSignal, { at: '2026-11-25T10:00:03.000Z', cause: 16 });
    },
  );
  expect(result).toMatchObject({
    endedBy: 'caller',
    endedAt: '2026-11-25T10:00:03.000Z',
    disposition: 'answered',
  });
  expect(collectCancelled).toBe(true);
  expect(cdrs).toEqual([expect.objectContaining({ endedBy: 'caller' })]);
});

test('a caller gone before the answer is an abandoned call, and is not retried', async () => {
  let answers = 0;
  const { result, cdrs } = await runCall({
    answer: async () => {
      answers++;
      throw ApplicationFailure.create({ type: 'ChannelGone', message: 'gone', nonRetryable: true });
    },
  });
  expect(answers).toBe(1);
  expect(result).toMatchObject({ disposition: 'abandoned', endedBy: 'caller' });
  expect(cdrs).toEqual([expect.objectContaining({ disposition: 'abandoned' })]);
});

test('Asterisk failing our commands marks the call failed and still writes the CDR', async () => {
  const { result, cdrs } = await runCall({
    collectDigits: async () => {
      throw ApplicationFailure.create({ type: 'AriCommandError', message: 'boom', nonRetryable: true });
    },
  });
  expect(result).toMatchObject({ disposition: 'failed', endedBy: 'system' });
  expect(cdrs).toHaveLength(1);
});
