import { createHash, randomUUID } from 'node:crypto';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { hashApiKey, type Role } from '../../lib/api-keys';
import { ensureEventsStream, publishEvent } from '../../lib/events/publish';
import type { DomainEvent, EventDataOf, EventType } from '../../lib/events/schemas';
import { STREAM_TOKEN_BUCKET } from '../../lib/events/stream-tokens';
import { endRoutingWorkflow, json, unique } from '../support/acd';
import { readEventStream, until } from '../support/events';
import { acdWorkflowId } from '../../workflows/acd/contract';
import { createApiKey } from '../support/keys';
import { startStack, type TestStack } from '../support/stack';

// Who sees which events on GET /v1/events: stream tokens for EventSource, agent scoping, tenant isolation.
// Events are published straight on NATS here (events-e2e proves the real producers).
const TENANT = 'events-auth-a';
const OTHER = 'events-auth-b';

let stack: TestStack;
let nc: NatsConnection;
let js: JetStreamClient;
const keys = {} as Record<'admin' | 'supervisor' | 'agentA' | 'agentB' | 'other' | 'revoked', string>;
const agents = {} as Record<'a' | 'b', string>;

async function keyFor(tenant: string, role: Role, agentId?: string) {
  const key = await createApiKey(stack.pool, tenant, role);
  if (agentId)
    await stack.pool.query('update api_keys set agent_id = $1 where key_hash = $2', [
      agentId,
      hashApiKey(key),
    ]);
  return key;
}

beforeAll(async () => {
  stack = await startStack({ gateway: true });
  await endRoutingWorkflow(stack, TENANT);
  nc = await connect({ servers: stack.config.NATS_URL });
  await ensureEventsStream(nc);
  js = nc.jetstream();
  keys.admin = await keyFor(TENANT, 'admin');
  for (const name of ['a', 'b'] as const) {
    const res = await stack.api('/v1/agents', {
      ...json('POST', {
        name: unique(`agent ${name}`),
        endpoint: 'Local/999@synthetic-agent/n',
        queueIds: [],
      }),
      key: keys.admin,
    });
    expect(res.status).toBe(201);
    agents[name] = res.body.id;
  }
  keys.supervisor = await keyFor(TENANT, 'supervisor');
  keys.agentA = await keyFor(TENANT, 'agent', agents.a);
  keys.agentB = await keyFor(TENANT, 'agent', agents.b);
  keys.other = await keyFor(OTHER, 'admin');
  keys.revoked = await keyFor(TENANT, 'developer');
}, 180_000);

afterAll(async () => {
  await nc?.drain();
  // The tenant's routing workflow lives on this run's task queue; a later run may use another.
  await stack?.temporal.workflow
    .getHandle(acdWorkflowId(TENANT))
    .terminate('end of test file')
    .catch(() => undefined);
  await stack?.close();
});

const url = (query = '') => `http://127.0.0.1:${stack.config.API_PORT}/v1/events${query}`;
const open = async (query: string, key?: string) => {
  const s = readEventStream(url(query), key ? { authorization: `Bearer ${key}` } : {});
  const opened = await s.opened;
  return { ...s, status: opened.status, body: opened.body };
};
const event = <T extends EventType>(type: T, data: EventDataOf<T>, tenantId = TENANT): DomainEvent =>
  ({ id: randomUUID(), type, tenantId, occurredAt: new Date().toISOString(), data }) as DomainEvent;
const token = async (key: string) => {
  const res = await stack.api('/v1/events/token', { method: 'POST', key });
  expect(res.status).toBe(201);
  return res.body as { token: string; expiresAt: string; expiresInSec: number };
};
/** Publishes, then waits for `last` on a stream that sees everything, so the others had their chance. */
async function publishAll(events: DomainEvent[], watcher: { events: { data: { id: string } }[] }) {
  for (const e of events) await publishEvent(js, e);
  const last = events[events.length - 1]!.id;
  await until('the last event', () => (watcher.events.some((e) => e.data.id === last) ? true : undefined));
  // Streams are independent consumers: give the slower ones a moment past the watcher.
  await new Promise((r) => setTimeout(r, 1000));
}

test('EventSource auth: a short-lived stream token in ?access_token=, never an API key', async () => {
  const minted = await token(keys.admin);
  // Signed with STREAM_TOKEN_SECRET (generated into .env): its grant, a dot, the HMAC, redeemed by any gateway
  // with the secret; without one, a random token kept in NATS.
  expect(minted.token).toMatch(/^cst_([A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]{43}$/);
  expect(minted.expiresInSec).toBe(300);
  expect(Date.parse(minted.expiresAt) - Date.now()).toBeGreaterThan(290_000);

  // Opened without any header, as EventSource does.
  const s = await open(`?types=ticket.created&access_token=${minted.token}`);
  expect(s.status).toBe(200);
  const e = event('ticket.created', { ticketId: 't-tok', subject: 'Token', status: 'new' });
  await publishEvent(js, e);
  await until('the event', () => (s.events.some((x) => x.data.id === e.id) ? true : undefined));
  s.close();
  // A token reopens the stream while it lives (EventSource's own reconnects).
  const again = await open(`?access_token=${minted.token}`);
  expect(again.status).toBe(200);
  again.close();

  const refused = async (query: string, hint: RegExp) => {
    const r = await open(query);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).message).toMatch(hint);
  };
  await refused(`?access_token=${keys.admin}`, /POST \/v1\/events\/token/);
  await refused('?access_token=cst_not-a-real-token-000000000000000000000000000', /invalid or expired/);
  await refused('', /Authorization/);
  // Worth nothing on any other route.
  const elsewhere = await fetch(
    `http://127.0.0.1:${stack.config.API_PORT}/v1/webhooks?access_token=${minted.token}`,
  );
  expect(elsewhere.status).toBe(401);

  // Expired: the stored expiry is what counts, whatever the bucket has not purged yet.
  const expired = `cst_${'x'.repeat(43)}`;
  const kv = await js.views.kv(STREAM_TOKEN_BUCKET);
  const { keyId } = (
    await stack.pool.query('select id as "keyId" from api_keys where key_hash = $1', [hashApiKey(keys.admin)])
  ).rows[0];
  await kv.put(
    createHash('sha256').update(expired).digest('hex'),
    JSON.stringify({ keyId, expiresAt: new Date(Date.now() - 1000).toISOString() }),
  );
  await refused(`?access_token=${expired}`, /invalid or expired/);

  // Revoking the key stops its tokens.
  const fromRevoked = await token(keys.revoked);
  await stack.pool.query('update api_keys set revoked_at = now() where key_hash = $1', [
    hashApiKey(keys.revoked),
  ]);
  await refused(`?access_token=${fromRevoked.token}`, /revoked/);
}, 60_000);

test('an agent key sees its own agent’s events and the calls it handled; supervisors see the tenant', async () => {
  const a = agents.a;
  const b = agents.b;
  const call = (callId: string) => ({ callId, from: '5550100', to: '5551000' });
  const ended = (callId: string, agentId?: string) =>
    event('call.ended', {
      ...call(callId),
      disposition: 'answered',
      endedBy: 'caller',
      durationMs: 1000,
      agentId,
    });
  const sent = {
    aAvailable: event('agent.state_changed', { agentId: a, state: 'available', previousState: 'offline' }),
    bAvailable: event('agent.state_changed', { agentId: b, state: 'available', previousState: 'offline' }),
    otherCallStarted: event('call.started', { ...call('call-b'), direction: 'inbound' }),
    queued: event('queue.entered', {
      queueId: 'q',
      entryId: 'call-a',
      kind: 'call',
      priority: 0,
      from: '5550100',
    }),
    aTakes: event('agent.state_changed', {
      agentId: a,
      state: 'on_call',
      previousState: 'available',
      entryId: 'call-a',
    }),
    bTakes: event('agent.state_changed', {
      agentId: b,
      state: 'on_call',
      previousState: 'available',
      entryId: 'call-b',
    }),
    aNode: event('flow.node_entered', { callId: 'call-a', flowId: 'f', nodeId: 'after', nodeType: 'play' }),
    bNode: event('flow.node_entered', { callId: 'call-b', flowId: 'f', nodeId: 'after', nodeType: 'play' }),
    aTicket: event('ticket.created', {
      ticketId: 't-a',
      subject: 'From call a',
      status: 'new',
      callId: 'call-a',
    }),
    aTicketUpdated: event('ticket.updated', { ticketId: 't-a', status: 'open', changes: ['status'] }),
    otherTicket: event('ticket.created', { ticketId: 't-x', subject: 'Someone else', status: 'new' }),
    aEnded: ended('call-a', a),
    bEnded: ended('call-b', b),
    aCallback: event('callback.attempted', {
      callbackId: 'cb-a',
      attempt: 1,
      outcome: 'answered',
      agentId: a,
    }),
    aCallbackDone: event('callback.completed', { callbackId: 'cb-a', state: 'completed', attempts: 1 }),
    otherCallbackDone: event('callback.completed', { callbackId: 'cb-x', state: 'failed', attempts: 3 }),
  };
  const supervisor = await open('', keys.supervisor);
  // The agent opens its stream the browser way: with a token its key minted.
  const agentA = await open(`?access_token=${(await token(keys.agentA)).token}`);
  // Asking for call.ended only still follows the calls the agent takes (agent.state_changed is not shown).
  const agentAEnds = await open('?types=call.ended', keys.agentA);
  const agentB = await open('?types=call.ended,agent.state_changed', keys.agentB);
  for (const s of [supervisor, agentA, agentAEnds, agentB]) expect(s.status).toBe(200);
  await publishAll(Object.values(sent), supervisor);

  const ids = (s: { events: { data: { id: string } }[] }) => s.events.map((e) => e.data.id);
  expect(ids(supervisor)).toEqual(Object.values(sent).map((e) => e.id));
  expect(ids(agentA)).toEqual(
    [
      sent.aAvailable,
      sent.aTakes,
      sent.aNode,
      sent.aTicket,
      sent.aTicketUpdated,
      sent.aEnded,
      sent.aCallback,
      sent.aCallbackDone,
    ].map((e) => e.id),
  );
  expect(ids(agentAEnds)).toEqual([sent.aEnded.id]);
  expect(ids(agentB)).toEqual([sent.bAvailable, sent.bTakes, sent.bEnded].map((e) => e.id));
  for (const s of [supervisor, agentA, agentAEnds, agentB]) s.close();
}, 60_000);

test('tenants never see each other’s events, with a key or a token', async () => {
  const ours = await open('', keys.admin);
  const theirs = await open('', keys.other);
  const theirsByToken = await open(`?access_token=${(await token(keys.other)).token}`);
  const mine = [
    event('ticket.created', { ticketId: 't-1', subject: 'Ours', status: 'new' }),
    event('agent.state_changed', { agentId: agents.a, state: 'not_ready', reason: 'lunch' }),
  ];
  const foreign = event('ticket.created', { ticketId: 't-2', subject: 'Theirs', status: 'new' }, OTHER);
  await publishAll([...mine, foreign], theirs);
  await until('our events', () => (ours.events.length >= 2 ? true : undefined));
  expect(ours.events.map((e) => e.data.id)).toEqual(mine.map((e) => e.id));
  expect(theirs.events.map((e) => e.data.id)).toEqual([foreign.id]);
  expect(theirsByToken.events.map((e) => e.data.id)).toEqual([foreign.id]);
  expect(ours.events.every((e) => e.data.tenantId === TENANT)).toBe(true);
  for (const s of [ours, theirs, theirsByToken]) s.close();
}, 60_000);
