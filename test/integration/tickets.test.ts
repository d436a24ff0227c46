import { placeCall } from '../support/caller';
import { json, unique } from '../support/acd';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const targets = (firstResponseSec: number, resolutionSec: number) => ({
  low: { firstResponseSec, resolutionSec },
  normal: { firstResponseSec, resolutionSec },
  high: { firstResponseSec, resolutionSec },
  urgent: { firstResponseSec, resolutionSec },
});
const settings = (body: object) => stack.api('/v1/tenant/ticket-settings', json('PUT', body));
const create = async (subject: string, extra: object = {}) => {
  const res = await stack.api(
    '/v1/tickets',
    json('POST', { subject, description: 'printer on fire', ...extra }),
  );
  expect(res.status).toBe(201);
  return res.body as { ticketId: string };
};
const get = async (id: string) => (await stack.api(`/v1/tickets/${id}`)).body;
const patch = (id: string, body: object) => stack.api(`/v1/tickets/${id}`, json('PATCH', body));

test('status machine, first response, pending pauses the clock, reopen, auto-close', async () => {
  await settings({ targets: targets(600, 600), reopenWithinSec: 600, autoCloseAfterSec: 3 });
  const { ticketId } = await create(unique('Lifecycle'));
  const refused = await patch(ticketId, { status: 'closed' });
  expect(refused.status).toBe(409);
  expect(refused.body.message).toMatch(
    /a new ticket cannot become closed; allowed: open, pending, on_hold, solved/,
  );

  await stack.api(
    `/v1/tickets/${ticketId}/comments`,
    json('POST', { body: 'Looking into it', public: true }),
  );
  expect((await get(ticketId)).sla[0]).toMatchObject({ kind: 'first_response', state: 'met' });
  await patch(ticketId, { status: 'pending' });
  const paused = (await get(ticketId)).sla[1].elapsedSec;
  await sleep(2000);
  expect((await get(ticketId)).sla[1]).toMatchObject({ running: false, elapsedSec: paused });
  await patch(ticketId, { status: 'open', assignee: 'alice', tags: ['printer'] });
  await patch(ticketId, { status: 'solved' });
  expect((await patch(ticketId, { status: 'open' })).body.status).toBe('open');
  await patch(ticketId, { status: 'solved' });
  // Closed by itself after 3 s; then nothing changes it.
  for (let i = 0; i < 40 && (await get(ticketId)).status !== 'closed'; i++) await sleep(250);
  const closed = await get(ticketId);
  expect(closed.status).toBe('closed');
  expect(closed.timeline.map((e: { kind: string }) => e.kind)).toEqual(
    expect.arrayContaining(['created', 'comment', 'status', 'assigned', 'updated']),
  );
  expect((await patch(ticketId, { status: 'open' })).status).toBe(409);
  const listed = await stack.api(`/v1/tickets?status=closed&q=fire&assignee=alice`);
  expect(listed.body.tickets.map((t: { id: string }) => t.id)).toContain(ticketId);
}, 60_000);

test('SLA in business hours: breached and escalated while the calendar is open, not counted while it is closed', async () => {
  const hour = new Date().getUTCHours();
  const closedWindow = hour < 12 ? { open: '20:00', close: '21:00' } : { open: '02:00', close: '03:00' };
  await settings({
    calendar: { timeZone: 'UTC', weekly: [{ days: everyDay, open: '00:00', close: '23:59' }] },
    targets: targets(4, 3600),
    escalateTo: 'team-lead',
  });
  const open = await create(unique('Open hours'), { priority: 'low' });
  await settings({
    calendar: { timeZone: 'UTC', weekly: [{ days: everyDay, ...closedWindow }] },
    targets: targets(4, 3600),
  });
  const after = await create(unique('After hours'), { priority: 'low' });
  await sleep(6000);
  const breached = await get(open.ticketId);
  expect(breached.sla[0]).toMatchObject({ kind: 'first_response', state: 'breached' });
  expect(breached.fields).toMatchObject({ priority: 'urgent', assignee: 'team-lead' });
  expect(
    breached.timeline
      .filter((e: { kind: string }) => e.kind === 'sla')
      .map((e: { detail: { state: string } }) => e.detail.state),
  ).toEqual(['near_breach', 'breached']);
  const waiting = await get(after.ticketId);
  expect(waiting.sla[0]).toMatchObject({ state: 'ok', elapsedSec: 0 });
  expect(waiting.fields.priority).toBe('low');
  const listed = await stack.api('/v1/tickets?priority=urgent');
  expect(listed.body.tickets.find((t: { id: string }) => t.id === open.ticketId)).toMatchObject({
    slaBreached: true,
  });
  await settings({});
}, 60_000);

test('a voicemail left on a call becomes a ticket with the recording attached', async () => {
  const flow = await stack.api(
    '/v1/flows',
    json('POST', {
      name: unique('Voicemail ticket'),
      definition: {
        schemaVersion: 1,
        start: 'vm',
        nodes: [
          { id: 'vm', type: 'voicemail', params: { ticketQueue: 'support' } },
          { id: 'bye', type: 'hangup' },
        ],
        edges: [
          { from: 'vm', exit: 'recorded', to: 'bye' },
          { from: 'vm', exit: 'empty', to: 'bye' },
        ],
      },
    }),
  );
  await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'));
  const number = `4${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }));
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    from: '5550142',
    delaySec: 2,
    play: 'tt-weasels',
    holdSec: 1,
  });
  const status = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as {
    path: { nodeId: string; detail?: Record<string, string> }[];
  };
  const recordingId = status.path.find((s) => s.nodeId === 'vm')!.detail!.recordingId;
  let ticket;
  for (let i = 0; i < 40 && !ticket; i++) {
    const { body } = await stack.api('/v1/tickets?q=voicemail');
    ticket = body.tickets.find((t: { subject: string }) => t.subject === 'Voicemail from 5550142');
    if (!ticket) await sleep(250);
  }
  const detail = await get(ticket.id);
  expect(detail.fields).toMatchObject({
    queue: 'support',
    requester: { number: '5550142' },
    recordings: [recordingId],
    calls: [call.workflowId],
  });
}, 60_000);

test('sixty 20 KB comments: the ticket continues as new, its histories stay small, every comment is read back', async () => {
  const { ticketId } = await create(unique('Long thread'));
  const bodies = Array.from({ length: 60 }, (_, i) =>
    `${i} `.padEnd(20_000, String.fromCharCode(97 + (i % 26))),
  );
  for (const body of bodies) {
    const res = await stack.api(`/v1/tickets/${ticketId}/comments`, json('POST', { body, public: false }));
    expect(res.status).toBe(201);
  }
  const ticket = await get(ticketId);
  const comments = ticket.timeline.filter((e: { kind: string }) => e.kind === 'comment');
  expect(comments.map((c: { detail: { body: string } }) => c.detail.body)).toEqual(bodies);

  // Every run of the ticket: at least one continue-as-new, and no run's history near the 2 MB a payload
  // may carry (the snapshot no longer holds the bodies; each change answers with a version).
  const runs = [];
  for await (const wf of stack.temporal.workflow.list({ query: `WorkflowId = "ticket-${ticketId}"` })) {
    runs.push(wf.historySize ?? 0);
  }
  expect(runs.length).toBeGreaterThan(1);
  expect(Math.max(...runs)).toBeLessThan(1_600_000);
}, 180_000);

test('every ticket and call of this file replays deterministically from its history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThan(0);
}, 120_000);
