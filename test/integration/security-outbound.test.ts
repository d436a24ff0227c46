import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { json } from '../support/acd';
import { placeCall } from '../support/caller';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

/**
 * A tenant's http node on a real call cannot reach CTICloud's own services (ARI, the API), is not led
 * elsewhere by a redirect, and cannot make the worker download a huge answer. The suite runs with
 * OUTBOUND_POLICY=loopback-only: nothing here can leave this machine.
 */
let stack: TestStack;
let server: Server;
let sentBytes = 0;
let port = 0;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
  server = createServer((req, res) => {
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: `http://127.0.0.1:${stack.config.API_PORT}/v1/calls` }).end();
      return;
    }
    // 64 MB of JSON, written as fast as the client reads it.
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    res.write('{"x":"');
    const pump = () => {
      while (sentBytes < 64 * 1024 * 1024) {
        sentBytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end('"}');
    };
    res.on('close', () => undefined);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
  await stack.pool.query('update tenants set webhook_allow_private = true where id = $1', [
    stack.config.DEFAULT_TENANT,
  ]);
  expect(
    (await stack.api('/v1/tenant/http-allow-hosts', json('PUT', { hosts: ['127.0.0.1', 'localhost'] })))
      .status,
  ).toBe(200);
}, 120_000);
afterAll(async () => {
  server?.close();
  await stack?.close();
});

/** One call through a flow of one http node; answers the node's exit and detail. */
async function callThrough(url: string) {
  const definition = {
    schemaVersion: 1,
    start: 'fetch',
    nodes: [
      { id: 'fetch', type: 'http', params: { url, retries: 0 } },
      { id: 'bye', type: 'hangup' },
    ],
    edges: ['success', 'error', 'timeout'].map((exit) => ({ from: 'fetch', exit, to: 'bye' })),
  };
  const flow = await stack.api('/v1/flows', json('POST', { name: `Outbound ${Date.now()}`, definition }));
  expect(flow.status).toBe(201);
  expect((await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'))).status).toBe(201);
  const number = `6${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  expect((await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }))).status).toBe(201);
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    holdSec: 20,
  });
  const status = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
  const step = status.path.find((s) => s.nodeId === 'fetch')!;
  return { exit: step.exit, detail: step.detail ?? {} };
}

test.each([
  ['ARI', () => `http://127.0.0.1:8088/ari/channels`],
  ['ARI by name', () => `http://localhost:8088/ari/channels`],
  ['the API', () => `http://127.0.0.1:${stack.config.API_PORT}/v1/calls`],
  ['PostgreSQL', () => `http://127.0.0.1:5432/`],
])(
  "an http node cannot reach CTICloud's own services: %s",
  async (_, url) => {
    const { exit, detail } = await callThrough(url());
    expect(exit).toBe('error');
    expect(detail.error).toMatch(/CTICloud's own services/);
  },
  60_000,
);

test('a redirect is not followed: the node sees the 302 itself', async () => {
  const { exit, detail } = await callThrough(`http://127.0.0.1:${port}/redirect`);
  expect(exit).toBe('error');
  expect(detail.status).toBe('302');
}, 60_000);

test('a 64 MB answer is read only as far as the node keeps (256 KB), then the connection closes', async () => {
  sentBytes = 0;
  await callThrough(`http://127.0.0.1:${port}/huge`);
  // Loopback socket buffers take a few MB past what was read (5 MB seen); nowhere near the 64 MB.
  expect(sentBytes).toBeLessThan(16 * 1024 * 1024);
}, 60_000);
