import { hashApiKey } from '../../lib/api-keys';
import { EVENT_TYPES, EventSchemas, type EventType } from '../../lib/events/schemas';
import { CampaignSettings } from '../../domain/campaign/settings';
import { acdKit, endRoutingWorkflow, json, unique } from '../support/acd';
import { readEventStream, startReceiver, until, type Received } from '../support/events';
import { acdWorkflowId } from '../../workflows/acd/contract';
import { createApiKey } from '../support/keys';
import { startStack, type TestStack } from '../support/stack';

// Every event type, from its real cause (calls, agents, callbacks, a campaign, tickets), reaching a signed
// webhook and the event stream. Its own tenant: the suite's other files share `default`.
process.env.WEBHOOK_RETRY_INITIAL_MS = '500';
const TENANT = 'events-e2e';

let stack: TestStack;
/** The stack as this tenant's admin sees it: acdKit and the helpers below go through it. */
let admin: TestStack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stream: ReturnType<typeof readEventStream>;
const HOOK = '/hook/all';

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startStack({ gateway: true });
  await endRoutingWorkflow(stack, TENANT);
  const key = await createApiKey(stack.pool, TENANT, 'admin', 'events e2e admin');
  admin = { ...stack, api: (path, init = {}) => stack.api(path, { key, ...init }) };
  await stack.pool.query('update tenants set webhook_allow_private = true where id = $1', [TENANT]);
  // Webhooks of an earlier run point at a receiver that is gone.
  await stack.pool.query('update webhooks set deleted_at = now() where tenant_id = $1', [TENANT]);
  // Every type, the opt-in flow.node_entered included.
  const hook = await admin.api(
    '/v1/webhooks',
    json('POST', { url: `${receiver.base}${HOOK}`, eventTypes: EVENT_TYPES }),
  );
  expect(hook.status).toBe(201);
  receiver.expect(HOOK, hook.body.secret);
  stream = readEventStream(`http://127.0.0.1:${stack.config.API_PORT}/v1/events`, {
    authorization: `Bearer ${key}`,
  });
  expect((await stream.opened).status).toBe(200);
}, 180_000);

afterAll(async () => {
  stream?.close();
  await stack?.pool.query('update webhooks set deleted_at = now() where tenant_id = $1', [TENANT]);
  // The tenant's routing workflow lives on this run's task queue; a later run may use another.
  await stack?.temporal.workflow
    .getHandle(acdWorkflowId(TENANT))
    .terminate('end of test file')
    .catch(() => undefined);
  await stack?.close();
  receiver?.close();
});

/** Types seen on both ways, checked against their schema: the last test asserts every type was. */
const proven = new Set<EventType>();

/**
 * Waits for an event of `type` whose data matches, on the webhook (signature verified) and on the event
 * stream; both must carry the same event, valid against the zod schema the AsyncAPI document comes from.
 */
async function arrives<T extends EventType>(
  type: T,
  match: (data: any) => boolean = () => true,
  ms = 60_000,
) {
  const hit = (e: any) => e.type === type && e.data && match(e.data);
  const delivered = await until(
    `${type} at the webhook`,
    () => receiver.received.find((r: Received) => r.path === HOOK && hit(r.event)),
    ms,
  );
  const streamed = await until(`${type} on the stream`, () => stream.events.find((e) => hit(e.data)), 10_000);
  expect(delivered.verified).toBe(true);
  expect(delivered.headers['x-cticloud-event']).toBe(type);
  expect(streamed.event).toBe(type);
  expect(streamed.data).toEqual(delivered.event);
  const parsed = EventSchemas[type].safeParse(delivered.event);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  expect(delivered.event.tenantId).toBe(TENANT);
  proven.add(type);
  return delivered.event as { id: string; data: any };
}

test('a call through a flow with a queue node: call, flow, queue and agent events', async () => {
  const kit = acdKit(admin);
  const queue = await kit.queue({ wrapUpSec: 1 });
  const agent = await kit.agent('104', [queue.id]);
  // The agent's own stream: it must show the agent's call, and nothing of the call before it was taken.
  const agentKey = await createApiKey(stack.pool, TENANT, 'agent', 'events e2e agent');
  await stack.pool.query('update api_keys set agent_id = $1 where key_hash = $2', [
    agent.id,
    hashApiKey(agentKey),
  ]);
  const agentStream = readEventStream(`http://127.0.0.1:${stack.config.API_PORT}/v1/events`, {
    authorization: `Bearer ${agentKey}`,
  });
  expect((await agentStream.opened).status).toBe(200);

  expect((await kit.setState(agent.id, 'available')).status).toBe(200);
  await arrives('agent.state_changed', (d) => d.agentId === agent.id && d.state === 'available');
  const number = await kit.queueFlow(queue.id);
  const call = await kit.call(number, { from: '5550177' });
  const status = await kit.result(call);
  expect(status.path.map((s) => s.nodeId)).toEqual(['wait', 'served']);
  const callId = call.workflowId;

  const started = await arrives('call.started', (d) => d.callId === callId);
  expect(started.data).toMatchObject({ direction: 'inbound', to: number, flowId: expect.any(String) });
  await arrives('call.answered', (d) => d.callId === callId);
  await arrives('flow.node_entered', (d) => d.callId === callId && d.nodeId === 'wait');
  await arrives('flow.node_entered', (d) => d.callId === callId && d.nodeId === 'served');
  const queued = await arrives('queue.entered', (d) => d.entryId === callId);
  expect(queued.data).toMatchObject({ queueId: queue.id, kind: 'call' });
  await arrives(
    'agent.state_changed',
    (d) => d.agentId === agent.id && d.state === 'on_call' && d.entryId === callId,
  );
  const ended = await arrives('call.ended', (d) => d.callId === callId);
  expect(ended.data).toMatchObject({ disposition: 'answered', agentId: agent.id });
  await arrives('agent.state_changed', (d) => d.agentId === agent.id && d.state === 'wrap_up');

  await until('the agent stream to show the call end', () =>
    agentStream.events.some((e) => e.data.id === ended.id) ? true : undefined,
  );
  agentStream.close();
  const shown = agentStream.events.map((e) => e.data);
  expect(shown.every((e) => e.data.agentId === agent.id || e.data.callId === callId)).toBe(true);
  expect(shown.map((e) => e.type)).not.toContain('call.started');
  expect(shown.map((e) => e.type)).not.toContain('queue.entered');
  expect(shown).toContainEqual(
    expect.objectContaining({
      type: 'flow.node_entered',
      data: expect.objectContaining({ nodeId: 'served' }),
    }),
  );
}, 180_000);

test('a callback: queued, attempted, completed', async () => {
  const kit = acdKit(admin);
  const queue = await kit.queue({ wrapUpSec: 0 });
  const agent = await kit.agent('103', [queue.id]);
  await kit.setState(agent.id, 'available');
  const created = await admin.api('/v1/callbacks', json('POST', { number: '101', queueId: queue.id }));
  expect(created.status).toBe(201);
  const callbackId = created.body.id as string;
  const queued = await arrives('queue.entered', (d) => d.entryId === `callback-${callbackId}`);
  expect(queued.data).toMatchObject({ kind: 'callback', queueId: queue.id });
  const attempted = await arrives('callback.attempted', (d) => d.callbackId === callbackId, 90_000);
  expect(attempted.data).toMatchObject({ attempt: 1, outcome: 'answered', agentId: agent.id });
  const completed = await arrives('callback.completed', (d) => d.callbackId === callbackId, 60_000);
  expect(completed.data).toMatchObject({ state: 'completed', attempts: 1 });
}, 180_000);

test('a small campaign reports its progress until it completes', async () => {
  const flow = await admin.api(
    '/v1/flows',
    json('POST', {
      name: unique('Events campaign'),
      definition: { schemaVersion: 1, start: 'bye', nodes: [{ id: 'bye', type: 'hangup' }], edges: [] },
    }),
  );
  expect((await admin.api(`/v1/flows/${flow.body.id}/publish`, json('POST'))).status).toBe(201);
  const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const config = CampaignSettings.parse({
    callerId: '5550199',
    window: { weekly: [{ days: everyDay, open: '00:00', close: '23:59' }] },
    target: { kind: 'flow', flowId: flow.body.id },
    pacing: { callsPerSecond: 2, maxConcurrent: 2 },
    ringSeconds: 5,
  });
  const { rows } = await stack.pool.query<{ id: string }>(
    'insert into campaigns (tenant_id, name, config) values ($1, $2, $3) returning id',
    [TENANT, unique('Campaign'), config],
  );
  const campaignId = rows[0]!.id;
  for (const [line, phone] of ['101', '102'].entries())
    await stack.pool.query(
      `insert into campaign_contacts (campaign_id, phone, time_zone, fields, line) values ($1, $2, 'UTC', '{}', $3)`,
      [campaignId, phone, line + 2],
    );
  expect((await admin.api(`/v1/campaigns/${campaignId}/start`, json('POST'))).status).toBe(202);
  await arrives('campaign.progress', (d) => d.campaignId === campaignId && d.state === 'running');
  const done = await arrives(
    'campaign.progress',
    (d) => d.campaignId === campaignId && d.state === 'completed',
    120_000,
  );
  expect(done.data).toMatchObject({ launched: 2, finished: 2, inFlight: 0, byDisposition: { answered: 2 } });
}, 180_000);

test('tickets: created, updated, and a first-response SLA breached (short SLA)', async () => {
  const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const target = { firstResponseSec: 2, resolutionSec: 3600 };
  const settings = await admin.api(
    '/v1/tenant/ticket-settings',
    json('PUT', {
      calendar: { timeZone: 'UTC', weekly: [{ days: everyDay, open: '00:00', close: '23:59' }] },
      targets: { low: target, normal: target, high: target, urgent: target },
    }),
  );
  expect(settings.status).toBe(200);
  const created = await admin.api(
    '/v1/tickets',
    json('POST', { subject: unique('Events'), priority: 'high' }),
  );
  expect(created.status).toBe(201);
  const { ticketId } = created.body as { ticketId: string };
  const opened = await arrives('ticket.created', (d) => d.ticketId === ticketId);
  expect(opened.data).toMatchObject({ status: 'new', priority: 'high' });
  const breached = await arrives('ticket.sla_breached', (d) => d.ticketId === ticketId);
  expect(breached.data.sla).toBe('first_response');
  expect((await admin.api(`/v1/tickets/${ticketId}`, json('PATCH', { status: 'pending' }))).status).toBe(200);
  const updated = await arrives('ticket.updated', (d) => d.ticketId === ticketId && d.status === 'pending');
  expect(updated.data.changes).toContain('status');
}, 120_000);

test('every event type was proven on both ways', () => {
  expect([...proven].sort()).toEqual([...EVENT_TYPES].sort());
  // Nothing reached the receiver unsigned or signed wrong.
  expect(receiver.received.filter((r) => !r.verified)).toEqual([]);
});
