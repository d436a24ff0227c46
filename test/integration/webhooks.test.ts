import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { ensureEventsStream, publishEvent } from '../../lib/events/publish';
import { EVENT_TYPES, type DomainEvent, type EventDataOf, type EventType } from '../../lib/events/schemas';
import { verifyWebhookSignature } from '../../sdk/verify-webhook';
import { readEventStream } from '../support/events';
import { callWorkflow, ready, startStack, type TestStack } from '../support/stack';

// Short retry waits (500 ms, 1 s, 2 s, ...) for the worker this suite starts; production waits 10 s first.
process.env.WEBHOOK_RETRY_INITIAL_MS = '500';

let stack: TestStack;
let nc: NatsConnection;
let js: JetStreamClient;
let tenant: string;

/** What the receiver saw: every request, raw body included, and whether its signature verified. */
interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  event: DomainEvent;
  verified: boolean;
  answered: number;
}
const received: Received[] = [];
/** Per path: the status codes to answer, in order; 200 once they are used up. */
const script = new Map<string, number[]>();
/** Per path: the secret the receiver verifies with (as it would keep it from the create response). */
const secrets = new Map<string, string>();
let receiver: http.Server;
let base: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const path = req.url ?? '/';
      const result = verifyWebhookSignature({
        payload: body,
        header: req.headers['x-cticloud-signature'],
        secret: secrets.get(path) ?? '',
      });
      const answered = result.ok ? (script.get(path)?.shift() ?? 200) : 401;
      received.push({
        path,
        headers: req.headers,
        body,
        event: JSON.parse(body),
        verified: result.ok,
        answered,
      });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startStack({ gateway: true });
  tenant = stack.config.DEFAULT_TENANT;
  // Webhooks of an earlier run point at a receiver that is gone: their deliveries would only add noise.
  await stack.pool.query(
    'update webhooks set deleted_at = now() where tenant_id = $1 and deleted_at is null',
    [tenant],
  );
  nc = await connect({ servers: stack.config.NATS_URL });
  await ensureEventsStream(nc);
  js = nc.jetstream();
}, 120_000);

afterAll(async () => {
  await stack?.pool.query(
    'update webhooks set deleted_at = now() where tenant_id = $1 and deleted_at is null',
    [tenant],
  );
  await nc?.drain();
  await stack?.close();
  receiver?.closeAllConnections();
  receiver?.close();
});

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const event = <T extends EventType>(type: T, data: EventDataOf<T>, tenantId = tenant): DomainEvent =>
  ({ id: randomUUID(), type, tenantId, occurredAt: new Date().toISOString(), data }) as DomainEvent;
const callData = { callId: 'call-wh-1', from: '+12125550100', to: '+12125550199' };
const ended = (tenantId = tenant) =>
  event(
    'call.ended',
    { ...callData, disposition: 'answered', endedBy: 'caller', durationMs: 4200 },
    tenantId,
  );

/** A webhook on its own receiver path, answering `codes` first. */
async function webhook(eventTypes: EventType[], codes: number[] = []) {
  const path = `/hook/${randomUUID()}`;
  script.set(path, [...codes]);
  const res = await stack.api('/v1/webhooks', json('POST', { url: `${base}${path}`, eventTypes }));
  expect(res.status).toBe(201);
  secrets.set(path, res.body.secret);
  return { ...(res.body as { id: string; secret: string }), path };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const at = (path: string) => received.filter((r) => r.path === path);
const deliveries = async (id: string) => (await stack.api(`/v1/webhooks/${id}/deliveries`)).body.deliveries;
/** The delivery workflow's outcome, once the dispatcher has started it (publishing returns before that). */
const result = async (webhookId: string, eventId: string) =>
  (await callWorkflow(stack.temporal, `webhook-${webhookId}-${eventId}`)).result();

test('webhook URLs: http(s) only; loopback refused unless the tenant is allowed it', async () => {
  await stack.pool.query('update tenants set webhook_allow_private = false where id = $1', [tenant]);
  const loopback = await stack.api('/v1/webhooks', json('POST', { url: `${base}/x` }));
  expect(loopback.status).toBe(400);
  expect(loopback.body.fields).toEqual([
    { field: 'body.url', message: expect.stringMatching(/private or loopback/) },
  ]);
  const ftp = await stack.api('/v1/webhooks', json('POST', { url: 'ftp://example.com/x' }));
  expect(ftp.status).toBe(400);
  const unknown = await stack.api(
    '/v1/webhooks',
    json('POST', { url: 'https://example.com', eventTypes: ['x.y'] }),
  );
  expect(unknown.status).toBe(400);
  // What the rest of this suite needs: its receiver is on 127.0.0.1.
  await stack.pool.query('update tenants set webhook_allow_private = true where id = $1', [tenant]);
  const allowed = await stack.api('/v1/webhooks', json('POST', { url: `${base}/x` }));
  expect(allowed.status).toBe(201);
  expect(allowed.body.secret).toMatch(/^[0-9a-f]{64}$/);
  // Default subscription: everything but the opt-in flow.node_entered.
  expect(allowed.body.eventTypes).toEqual(EVENT_TYPES.filter((t) => t !== 'flow.node_entered'));
  const listed = await stack.api('/v1/webhooks');
  expect(listed.body.webhooks.map((w: { id: string }) => w.id)).toContain(allowed.body.id);
  expect(listed.body.webhooks[0].secret).toBeUndefined();
  expect((await stack.api(`/v1/webhooks/${allowed.body.id}`, { method: 'DELETE' })).status).toBe(204);
  expect((await stack.api(`/v1/webhooks/${allowed.body.id}`)).status).toBe(404);
});

test('a delivery is signed; the receiver verifies it with the SDK helper; only subscribed types arrive', async () => {
  const hook = await webhook(['call.ended']);
  const other = event('call.started', { ...callData, direction: 'inbound' });
  const foreign = ended('whtest-someone-else');
  const wanted = ended();
  for (const e of [other, foreign, wanted]) await publishEvent(js, e);
  // The same event published again (a producer's retry) is one event.
  await publishEvent(js, wanted);

  const [got] = await until('the delivery', () => (at(hook.path).length ? at(hook.path) : undefined));
  expect(got!.verified).toBe(true);
  expect(JSON.parse(got!.body)).toEqual(wanted);
  expect(got!.headers['x-cticloud-event']).toBe('call.ended');
  expect(got!.headers['x-cticloud-delivery']).toMatch(/^[0-9a-f-]{36}$/);
  expect(got!.headers['x-cticloud-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  // A receiver with the wrong secret, or a body changed in transit, does not verify.
  const header = got!.headers['x-cticloud-signature'];
  expect(verifyWebhookSignature({ payload: got!.body, header, secret: 'not-the-secret' }).ok).toBe(false);
  expect(verifyWebhookSignature({ payload: `${got!.body} `, header, secret: hook.secret }).ok).toBe(false);

  expect(await result(hook.id, wanted.id)).toMatchObject({ delivered: true, attempts: 1, responseCode: 200 });
  await new Promise((r) => setTimeout(r, 1000));
  expect(at(hook.path)).toHaveLength(1);
  const log = await deliveries(hook.id);
  expect(log).toEqual([
    expect.objectContaining({
      eventId: wanted.id,
      eventType: 'call.ended',
      attempt: 1,
      status: 'delivered',
      responseCode: 200,
      error: null,
    }),
  ]);
});

test('a receiver failing 3 times (500) then succeeding gets the event on the 4th attempt; all are logged', async () => {
  const hook = await webhook(['ticket.created'], [500, 500, 503]);
  const e = event('ticket.created', { ticketId: 't-1', subject: 'Refund', status: 'open' });
  await publishEvent(js, e);
  expect(await result(hook.id, e.id)).toMatchObject({ delivered: true, attempts: 4 });
  expect(at(hook.path).map((r) => r.answered)).toEqual([500, 500, 503, 200]);
  // Every attempt is one delivery as far as the receiver can tell: same delivery id, each signed afresh.
  expect(new Set(at(hook.path).map((r) => r.headers['x-cticloud-delivery'])).size).toBe(1);
  expect(at(hook.path).every((r) => r.verified)).toBe(true);
  const log = await deliveries(hook.id);
  expect(log.map((d: any) => [d.attempt, d.status, d.responseCode])).toEqual([
    [4, 'delivered', 200],
    [3, 'failed', 503],
    [2, 'failed', 500],
    [1, 'failed', 500],
  ]);
  expect(log[1].error).toMatch(/HTTP 503: try again/);
  // Paging: newest first, two at a time.
  const page = (await stack.api(`/v1/webhooks/${hook.id}/deliveries?limit=2`)).body;
  expect(page.deliveries.map((d: any) => d.attempt)).toEqual([4, 3]);
  const next = (await stack.api(`/v1/webhooks/${hook.id}/deliveries?limit=2&cursor=${page.nextCursor}`)).body;
  expect(next.deliveries.map((d: any) => d.attempt)).toEqual([2, 1]);
  expect(next.nextCursor).toBeNull();
});

test('a 4xx from the receiver stops retries; 408 and 429 do not', async () => {
  const refusing = await webhook(['ticket.updated'], [400]);
  const throttling = await webhook(['ticket.updated'], [429, 408]);
  const e = event('ticket.updated', { ticketId: 't-2', status: 'pending', changes: ['status'] });
  await publishEvent(js, e);
  expect(await result(refusing.id, e.id)).toMatchObject({ delivered: false, reason: 'rejected' });
  expect(await result(throttling.id, e.id)).toMatchObject({ delivered: true, attempts: 3 });
  await new Promise((r) => setTimeout(r, 2000));
  expect(at(refusing.path)).toHaveLength(1);
  expect((await deliveries(refusing.id)).map((d: any) => [d.status, d.responseCode])).toEqual([
    ['rejected', 400],
  ]);
});

test('a deleted webhook stops its retries', async () => {
  const hook = await webhook(['callback.completed'], Array(50).fill(500));
  const e = event('callback.completed', { callbackId: 'cb-1', state: 'completed', attempts: 1 });
  await publishEvent(js, e);
  await until('a failed attempt', () => (at(hook.path).length ? true : undefined));
  expect((await stack.api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await result(hook.id, e.id)).toMatchObject({ delivered: false, reason: 'gone' });
});

test('no delivery is lost across a worker restart: retries pending, and events published while it was down', async () => {
  const hook = await webhook(['campaign.progress', 'agent.state_changed'], [500, 500]);
  const retrying = event('campaign.progress', {
    campaignId: 'c-1',
    state: 'running',
    launched: 10,
    finished: 8,
    inFlight: 2,
    byDisposition: { answered: 4, no_answer: 4 },
    pace: 0.5,
    abandonRate: null,
  });
  await publishEvent(js, retrying);
  // Two failures recorded: the next attempt is the server's timer, with no worker to run it.
  await until('two failed attempts', async () =>
    (await deliveries(hook.id)).length >= 2 ? true : undefined,
  );
  await stack.worker.kill();
  const whileDown = event('agent.state_changed', {
    agentId: 'a-1',
    state: 'available',
    previousState: 'offline',
  });
  await publishEvent(js, whileDown);
  await new Promise((r) => setTimeout(r, 3000));
  expect(at(hook.path)).toHaveLength(2);
  stack.worker.start();
  await stack.worker.waitFor(ready.worker, 90_000);

  expect(await result(hook.id, retrying.id)).toMatchObject({ delivered: true, attempts: 3 });
  expect(await result(hook.id, whileDown.id)).toMatchObject({ delivered: true, attempts: 1 });
  // Exactly once each on the receiver's side (plus the two failures). Real agents of the shared tenant (other
  // test files' agents ending their wrap-up) may change state meanwhile: their events are delivered too.
  const ours = new Set([retrying.id, whileDown.id]);
  const delivered = at(hook.path).filter((r) => r.answered === 200 && ours.has(r.event.id));
  expect(delivered.map((r) => r.event.id).sort()).toEqual([retrying.id, whileDown.id].sort());
}, 150_000);

/** The admin's SSE stream of `path` (test/support/events.ts reads it), checked to be an event stream. */
function sse(path: string, headers: Record<string, string> = {}) {
  const stream = readEventStream(`http://127.0.0.1:${stack.config.API_PORT}${path}`, {
    authorization: `Bearer ${stack.config.ADMIN_API_KEY}`,
    ...headers,
  });
  const opened = stream.opened.then((response) => {
    expect(response.contentType).toMatch(/^text\/event-stream/);
  });
  return { ...stream, opened };
}

test('GET /v1/events streams the tenant’s events of the requested types; Last-Event-ID resumes', async () => {
  const stream = sse('/v1/events?types=ticket.created,call.answered');
  await stream.opened;
  const sent = [
    event('call.started', { ...callData, direction: 'inbound' }),
    event('ticket.created', { ticketId: 't-9', subject: 'Hello', status: 'open' }),
    event('ticket.created', { ticketId: 't-x', subject: 'Not ours', status: 'open' }, 'whtest-someone-else'),
    event('call.answered', callData),
    event('ticket.updated', { ticketId: 't-9', status: 'closed', changes: ['status'] }),
  ];
  for (const e of sent) await publishEvent(js, e);
  await until('two streamed events', () => (stream.events.length >= 2 ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 500));
  stream.close();
  expect(stream.events.map((e) => [e.event, e.data.id])).toEqual([
    ['ticket.created', sent[1]!.id],
    ['call.answered', sent[3]!.id],
  ]);
  expect(stream.events[0]!.data).toEqual(sent[1]);
  expect(Number(stream.events[1]!.id)).toBeGreaterThan(Number(stream.events[0]!.id));

  // Reconnecting after the first: the second comes again, from the stream, without being published again.
  const resumed = sse('/v1/events?types=ticket.created,call.answered', {
    'last-event-id': stream.events[0]!.id,
  });
  await resumed.opened;
  await until('the resumed event', () => (resumed.events.length ? true : undefined), 10_000);
  resumed.close();
  expect(resumed.events[0]!.data.id).toBe(sent[3]!.id);

  const bad = await stack.api('/v1/events?types=call.nope');
  expect(bad.status).toBe(400);
  expect((await stack.api('/v1/events', { key: null })).status).toBe(401);
});

test('/asyncapi.json is an AsyncAPI 3 document with every event type, public like /openapi.json', async () => {
  const res = await stack.api('/asyncapi.json', { key: null });
  expect(res.status).toBe(200);
  const doc = res.body;
  expect(doc.asyncapi).toBe('3.0.0');
  expect(doc.info.title).toBeTruthy();
  const messages = Object.values(doc.components.messages) as any[];
  expect(messages.map((m) => m.name).sort()).toEqual([...EVENT_TYPES].sort());
  for (const type of EVENT_TYPES) {
    const channel = Object.values(doc.channels).find(
      (c: any) => c.address === `cticloud.{tenantId}.events.${type}`,
    );
    expect(channel).toBeDefined();
  }
  for (const op of Object.values(doc.operations) as any[]) {
    expect(op.action).toBe('receive');
    const ref = op.channel.$ref.replace('#/channels/', '');
    expect(doc.channels[ref]).toBeDefined();
  }
  const payload = doc.components.schemas.CallEndedEvent;
  expect(payload.required).toEqual(['id', 'type', 'tenantId', 'occurredAt', 'data']);
  expect(payload.properties.data.required).toContain('disposition');
});
