import { Role } from '../../lib/api-keys';
import { placeCall } from '../support/caller';
import { createApiKey } from '../support/keys';
import { json, unique } from '../support/acd';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { provisionNumber } from '../support/numbers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

/** A flow that greets, then waits at a menu far longer than the test: the call stays live until hung up. */
async function waitingNumber() {
  const flow = await stack.api(
    '/v1/flows',
    json('POST', {
      name: unique('Console API'),
      definition: {
        schemaVersion: 1,
        start: 'greet',
        nodes: [
          { id: 'greet', type: 'play', params: { prompt: { kind: 'sound', name: 'vm-enter-num-to-call' } } },
          {
            id: 'menu',
            type: 'menu',
            params: {
              prompt: { kind: 'sound', name: 'vm-enter-num-to-call' },
              options: [{ digit: '1' }],
              timeoutMs: 60_000,
              retries: 5,
            },
          },
          { id: 'bye', type: 'hangup' },
        ],
        edges: [
          { from: 'greet', exit: 'next', to: 'menu' },
          { from: 'menu', exit: 'option:1', to: 'bye' },
          { from: 'menu', exit: 'invalid', to: 'bye' },
          { from: 'menu', exit: 'no_input', to: 'bye' },
        ],
      },
    }),
  );
  expect(flow.status).toBe(201);
  expect((await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'))).status).toBe(201);
  const number = `6${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  expect((await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }))).status).toBe(201);
  return number;
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a live call is listed with its node, has a timeline, and hangs up with the CDR saying system', async () => {
  const number = await waitingNumber();
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    from: '5550177',
    holdSec: 120,
  });

  const listed = await until(async () => {
    const res = await stack.api('/v1/calls?status=active&include=live');
    expect(res.status).toBe(200);
    const found = (res.body.calls as { id: string; live?: { currentNode: string | null } }[]).find(
      (c) => c.id === call.workflowId,
    );
    return found?.live?.currentNode === 'menu' ? found : undefined;
  });
  expect(listed).toMatchObject({
    status: 'running',
    from: '5550177',
    to: number,
    live: { state: 'in_flow', currentNode: 'menu', currentNodeType: 'menu', queue: null },
  });

  // A small page size makes the timeline page; every page together tells the story so far.
  const entries: { kind: string; title: string; name: string | null }[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const suffix: string = cursor ? `&cursor=${cursor}` : '';
    const page = await stack.api(`/v1/calls/${call.workflowId}/timeline?limit=5${suffix}`);
    expect(page.status).toBe(200);
    entries.push(...page.body.entries);
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor);
  expect(pages).toBeGreaterThan(1);
  expect(entries[0]).toMatchObject({ kind: 'workflow', title: 'workflow started', name: 'FlowCallWorkflow' });
  // The router answered before the workflow started: no answer activity; patch markers and activities show.
  expect(entries).toContainEqual(expect.objectContaining({ kind: 'marker', title: 'marker recorded' }));
  expect(entries).not.toContainEqual(expect.objectContaining({ name: 'answer' }));
  expect(entries).toContainEqual(expect.objectContaining({ title: 'activity scheduled', name: 'playMedia' }));
  expect(JSON.stringify(entries)).not.toContain('payload');

  expect((await stack.api(`/v1/calls/${call.workflowId}/timeline?cursor=!!`)).body.message).toContain(
    'querystring.cursor',
  );
  expect((await stack.api('/v1/calls/call-nope-x1/timeline')).status).toBe(404);
  expect((await stack.api('/v1/calls/not-a-call/hangup', json('POST'))).body.message).toContain('params.id');

  expect((await stack.api(`/v1/calls/${call.workflowId}/hangup`, json('POST'))).status).toBe(202);
  const result = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
  expect(result).toMatchObject({ endedBy: 'system', disposition: 'answered' });
  const detail = await stack.api(`/v1/calls/${call.workflowId}`);
  expect(detail.body.cdr).toMatchObject({ endedBy: 'system', disposition: 'answered' });
  await until(() =>
    stack.ari.getChannel(call.inboundChannelId).then(
      () => undefined,
      () => true,
    ),
  );
  expect((await stack.api(`/v1/calls/${call.workflowId}/hangup`, json('POST'))).status).toBe(409);

  const timeline = await stack.api(`/v1/calls/${call.workflowId}/timeline?limit=1000`);
  expect(timeline.body.entries).toContainEqual(expect.objectContaining({ kind: 'signal', name: 'endCall' }));
}, 90_000);

test('roles: an agent key may not hang up calls', async () => {
  const key = await createApiKey(stack.pool, stack.config.DEFAULT_TENANT, Role.Agent);
  const res = await stack.api('/v1/calls/call-x-y/hangup', { ...json('POST'), key });
  expect(res.status).toBe(403);
});

test('calls ended by the hangup route replay deterministically from their history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThan(0);
}, 60_000);
