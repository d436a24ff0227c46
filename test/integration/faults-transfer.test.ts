import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { json } from '../support/acd';
import { ariEventsSince } from '../support/ari-log';
import { placeCall } from '../support/caller';
import { callWorkflow, ready, startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

/**
 * kill -9 of the worker during a flow's blind transfer, while the third party rings and while they talk: the
 * retried transfer finds its first try's leg in the event stream. Asterisk's own events say the third party
 * was dialed once and their leg lasted as long as they wanted (nobody hung up a talking leg).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function transferFlow(number: string): Promise<string> {
  const definition = {
    schemaVersion: 1,
    start: 'xfer',
    nodes: [
      { id: 'xfer', type: 'transfer', params: { to: { kind: 'number', number }, ringSeconds: 40 } },
      { id: 'bye', type: 'hangup' },
    ],
    edges: ['completed', 'busy', 'no_answer', 'failed'].map((exit) => ({ from: 'xfer', exit, to: 'bye' })),
  };
  const flow = await stack.api(
    '/v1/flows',
    json('POST', { name: `Fault transfer ${Date.now()}`, definition }),
  );
  expect((await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'))).status).toBe(201);
  const dialed = `6${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, dialed);
  expect(
    (await stack.api('/v1/numbers', json('POST', { number: dialed, flowId: flow.body.id }))).status,
  ).toBe(201);
  return dialed;
}

/** The third party's legs (`;1`, the dialed side of the Local channel) created since `since`. */
async function partyLegs(since: Date, number: string) {
  const created = await ariEventsSince(stack, since, 'ChannelCreated', stack.config.ASTERISK_NODE);
  return created
    .map(({ event }) => event)
    .filter(
      (e) => e.channel?.name.startsWith(`Local/${number}@synthetic-party`) && e.channel.name.endsWith(';1'),
    );
}

async function killWorkerFor(ms: number): Promise<void> {
  await stack.worker.kill();
  await sleep(ms);
  stack.worker.start();
  await stack.worker.waitFor(ready.worker, 90_000);
}

test.each([
  // Rings 12 s: the worker dies 3 s into the ringing and the party answers while no worker runs.
  { when: 'while the third party rings', party: '812', killAfterMs: 3000, minLegSec: 12 + 10 },
  // Answers at once and listens 25 s: the worker dies 4 s into the conversation.
  { when: 'while talking', party: '625', killAfterMs: 4000, minLegSec: 25 },
])(
  'a worker killed $when: the party is dialed once and their leg is never hung up by the retry',
  async (c) => {
    const since = new Date();
    const dialed = await transferFlow(c.party);
    const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
      to: dialed,
      holdSec: 90,
    });
    for (let i = 0; i < 100 && !(await partyLegs(since, c.party)).length; i++) await sleep(200);
    expect(await partyLegs(since, c.party)).toHaveLength(1);
    await sleep(c.killAfterMs);
    await killWorkerFor(3000);

    const status = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
    expect(status.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual(['xfer:completed', 'bye:']);
    const legs = await partyLegs(since, c.party);
    expect(legs).toHaveLength(1);
    // The party's leg ended when the party hung up (their dialplan's end), not when the retry started.
    const leg = legs[0]!.channel!;
    const destroyed = (
      await ariEventsSince(stack, since, 'ChannelDestroyed', stack.config.ASTERISK_NODE)
    ).find(({ event }) => event.channel?.id === leg.id);
    expect(destroyed).toBeDefined();
    const lastedSec = (Date.parse(destroyed!.event.timestamp) - Date.parse(legs[0]!.timestamp)) / 1000;
    expect(lastedSec).toBeGreaterThanOrEqual(c.minLegSec);
  },
  180_000,
);
