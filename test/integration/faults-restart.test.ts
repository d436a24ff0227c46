import type { CallStatus } from '../../workflows/call/contract';
import { callStatusQuery } from '../../workflows/call/contract';
import { placeCall } from '../support/caller';
import { callWorkflow, ready, startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilState(handle: Awaited<ReturnType<typeof callWorkflow>>, state: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(callStatusQuery)).state === state) return;
    await sleep(50);
  }
  throw new Error(`call never reached ${state}`);
}

test('the owner bridge crashes while the caller presses digits: none is lost', async () => {
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    digits: '1234',
    delaySec: 3,
  });
  const handle = await callWorkflow(stack.temporal, call.workflowId);
  await untilState(handle, 'collecting');
  await stack.bridge.kill();
  // The digits go out 3 s after answer, while the owner bridge is down; only the mirror hears them.
  await sleep(4500);
  stack.bridge.start();
  await stack.bridge.waitFor(ready.bridge);

  const result = (await handle.result()) as CallStatus;
  expect(result).toMatchObject({ digits: '1234', collectEndedBy: 'max_digits', endedBy: 'system' });
});

test('the worker crashes mid-call: a new worker picks the call up and it completes with every digit', async () => {
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    digits: '55#',
    delaySec: 4,
    holdSec: 20,
  });
  const handle = await callWorkflow(stack.temporal, call.workflowId);
  await untilState(handle, 'collecting');
  await stack.worker.kill();
  await sleep(1000);
  stack.worker.start();
  await stack.worker.waitFor(ready.worker, 60_000);

  const result = (await handle.result()) as CallStatus;
  expect(result).toMatchObject({
    digits: '55',
    collectEndedBy: 'terminator',
    endedBy: 'system',
    disposition: 'answered',
  });
  // The digit collection really was retried on the new worker.
  const history = await handle.fetchHistory();
  const collect = history.events!.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'collectDigits',
  );
  const started = history.events!.find(
    (e) =>
      e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === collect!.eventId!.toString(),
  );
  expect(Number(started!.activityTaskStartedEventAttributes!.attempt)).toBeGreaterThan(1);
});

test('every call of this file replays deterministically from its history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThan(0);
}, 60_000);
