/**
 * Two Temporal clusters of the test's own (ports 7633/7733, databases cticloud_xdct_*), CTICloud's namespace
 * global on both: the gateway talks to cluster A, the worker to cluster B (each its local frontend, as at two
 * sites). Callbacks continue across a forced failover and a graceful fail-back, each customer called once;
 * a ticket's SLA clock started on A breaches once, on B; a call in a flow goes on across a forced failover;
 * a running campaign dials each contact once across one, and leaves an attempt it finds already running to
 * run (what Temporal issue #10286 left after a forced failover while attempts were children).
 */
import { acdKit, json } from '../support/acd';
import { campaignKit, zones } from '../support/campaigns';
import { CampaignSettings } from '../../domain/campaign/settings';
import { attemptWorkflowId } from '../../workflows/campaign-attempt/contract';
import { campaignWorkflowId, type CampaignPlan } from '../../workflows/campaign/contract';
import { channelsCreatedSince } from '../support/ari-log';
import { placeCall } from '../support/caller';
import { provisionNumber } from '../support/numbers';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { clusterPair } from '../support/clusters';
import { callWorkflow, type TestStack } from '../support/stack';
import { startTwoClusterStack, stopTwoClusterStack } from '../support/two-clusters';

const NAMESPACE = 'cticloud-xdct';
const [A, B] = clusterPair('xdct', 7633, NAMESPACE);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTwoClusterStack(A, B, 'calls-xdct');
}, 180_000);
afterAll(async () => {
  await stopTwoClusterStack(stack, A, B);
});
// Each test starts with the namespace active on A, whatever the one before left (a failed test stops before
// its fail-back; a CI run's next test then failed over to the cluster already active and went wrong too).
beforeEach(async () => {
  if (!stack) return;
  const back = await failover(A.name, 'graceful');
  expect(back.status).toBe(200);
}, 60_000);

interface Callback {
  id: string;
  state: string;
  attempts: { outcome?: string }[];
}
async function until(id: string, done: (c: Callback) => boolean, timeoutMs = 90_000): Promise<Callback> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await stack.api(`/v1/callbacks/${id}`);
    if (body && done(body as Callback)) return body as Callback;
    if (Date.now() > end) throw new Error(`callback ${id} stuck: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The failover versions that wrote the workflow's events: which cluster did the work. */
async function versionsOf(workflowId: string): Promise<Set<number>> {
  const events = (await stack.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return new Set(events.map((e) => Number(e.version)));
}

/** The gateway's `request failed` lines: what it answered 5xx for, and why. */
function failedRequests(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => l.includes('request failed'))
    .map((l) => l.slice(0, 2000));
}
/** The worker's warnings and errors (activity and workflow task failures), last first, a few. */
function failedTasks(): string[] {
  return stack.worker.log
    .split('\n')
    .filter((l) => /"level":(40|50)|\b(WARN|ERROR)\b/.test(l))
    .slice(-12)
    .map((l) => l.slice(0, 1500));
}

const failover = (cluster: string, mode: 'forced' | 'graceful') =>
  stack.api('/v1/platform/temporal/failover', {
    ...json('POST', { namespace: NAMESPACE, cluster, mode }),
    key: stack.config.OPERATOR_API_KEY!,
  });

test('a callback waiting for its time is called once on B after a forced failover, and on A after a graceful fail-back', async () => {
  const since = new Date();
  const { queue } = await acdKit(stack).queueWithAvailableAgent('130');

  // Created on A, waiting (a start delay) when A fails.
  const earliest = new Date(Date.now() + 8000).toISOString();
  const waiting = await stack.api(
    '/v1/callbacks',
    json('POST', { number: '141', queueId: queue.id, earliest }),
  );
  expect(waiting.status).toBe(201);
  const forced = await failover(B.name, 'forced');
  expect(forced.status).toBe(200);
  expect(forced.body).toMatchObject({ activeCluster: B.name, previousActiveCluster: A.name });
  const done = await until(waiting.body.id, (c) => ['completed', 'failed'].includes(c.state));
  expect(done).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
  // Its work after the delay was recorded by B (B's failover version), not by A.
  expect(await versionsOf(`callback-${waiting.body.id}`)).toContain(forced.body.failoverVersion);

  // Back to A gracefully; a callback due at once runs there, the worker still on B (its calls forwarded).
  const graceful = await failover(A.name, 'graceful');
  expect(graceful.status).toBe(200);
  expect(graceful.body).toMatchObject({ activeCluster: A.name, state: 'normal' });
  const now = await stack.api('/v1/callbacks', json('POST', { number: '142', queueId: queue.id }));
  const second = await until(now.body.id, (c) => ['completed', 'failed'].includes(c.state));
  expect(second).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
  expect([...(await versionsOf(`callback-${now.body.id}`))]).toEqual([graceful.body.failoverVersion]);

  // Each customer was dialed once (the channels Asterisk created, from the event stream).
  const dialed = (await channelsCreatedSince(stack, since))
    .filter((c) => /^Local\/14[12]@synthetic-party/.test(c?.name ?? '') && c!.name.endsWith(';1'))
    .map((c) => c!.name.slice(6, 9));
  expect(dialed.sort()).toEqual(['141', '142']);
}, 240_000);

test('a ticket whose SLA clock runs on A breaches once, on B, after a forced failover', async () => {
  const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const target = { firstResponseSec: 6, resolutionSec: 3600 };
  await stack.api(
    '/v1/tenant/ticket-settings',
    json('PUT', {
      calendar: { timeZone: 'UTC', weekly: [{ days: everyDay, open: '00:00', close: '23:59' }] },
      targets: { low: target, normal: target, high: target, urgent: target },
      escalateTo: 'team-lead',
    }),
  );
  const created = await stack.api(
    '/v1/tickets',
    json('POST', { subject: 'failover sla', description: 'clock started on A', priority: 'low' }),
  );
  expect(created.status).toBe(201);
  const forced = await failover(B.name, 'forced');
  expect(forced.status).toBe(200);

  // Right after a forced failover a read can briefly fail (the namespace's routing is settling): asked again.
  // Such an answer must say "try again" (503), never "we broke" (500).
  const statuses = new Set<number>();
  const read = async () => {
    const answer = await stack.api(`/v1/tickets/${created.body.ticketId}`);
    statuses.add(answer.status);
    return answer.body;
  };
  const since = stack.gateway.log.length;
  let ticket = await read();
  for (let i = 0; i < 120 && ticket?.sla?.[0]?.state !== 'breached'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    ticket = await read();
  }
  expect(ticket.sla[0]).toMatchObject({ kind: 'first_response', state: 'breached' });
  // A failure names the errors the gateway logged, so a CI run says which answer was not foreseen.
  const unforeseen = [...statuses].filter((s) => s !== 200 && s !== 503);
  expect({
    unforeseen,
    logged: unforeseen.length ? failedRequests(stack.gateway.log.slice(since)) : [],
  }).toEqual({ unforeseen: [], logged: [] });
  expect(ticket.fields).toMatchObject({ priority: 'urgent', assignee: 'team-lead' });
  // Once each: a timer replicated to B and fired there, not also on A. The near-breach timer was set on A;
  // after a forced failover a timer set on the old cluster fires 8–13 s late on the new one (docs/temporal.md,
  // a backoff hard-coded in the server), past this 6 s target's breach point, and the workflow then goes
  // straight to breached, as it would after any late wake-up. So the warning is there at most once, first.
  await new Promise((r) => setTimeout(r, 2000));
  const timeline = (await read()).timeline as { kind: string; detail: { state: string } }[];
  const states = timeline.filter((e) => e.kind === 'sla').map((e) => e.detail.state);
  expect([['near_breach', 'breached'], ['breached']]).toContainEqual(states);
  expect(await versionsOf(`ticket-${created.body.ticketId}`)).toContain(forced.body.failoverVersion);

  // Back to A for whatever runs next.
  expect((await failover(A.name, 'graceful')).status).toBe(200);
  await stack.api('/v1/tenant/ticket-settings', json('PUT', {}));
}, 120_000);

test('a caller in a flow when the namespace fails over keeps going: the digits they press after it are read back', async () => {
  const definition = {
    schemaVersion: 1,
    start: 'hello',
    nodes: [
      { id: 'hello', type: 'play', params: { prompt: { kind: 'sound', name: 'vm-enter-num-to-call' } } },
      { id: 'code', type: 'gather', params: { variable: 'code', maxDigits: 3, timeoutMs: 10000 } },
      { id: 'read', type: 'say', params: { as: 'digits', value: '{{code}}' } },
      { id: 'bye', type: 'hangup' },
    ],
    edges: [
      ['hello', 'next', 'code'],
      ['code', 'valid', 'read'],
      ['code', 'invalid', 'bye'],
      ['code', 'no_input', 'bye'],
      ['read', 'next', 'bye'],
    ].map(([from, exit, to]) => ({ from, exit, to })),
  };
  const flow = await stack.api('/v1/flows', json('POST', { name: `failover ${Date.now()}`, definition }));
  expect(flow.status).toBe(201);
  expect((await stack.api(`/v1/flows/${flow.body.id}/publish`, { method: 'POST' })).body).toEqual({
    number: 1,
  });
  const number = `8${Date.now() % 1_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  expect((await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }))).status).toBe(201);

  // The caller presses 4 2 7 eight seconds in: after the failover below.
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    from: '5550177',
    digits: '427',
    delaySec: 8,
    holdSec: 40,
  });
  const handle = await callWorkflow(stack.temporal, call.workflowId);
  const forced = await failover(B.name, 'forced');
  expect(forced.status).toBe(200);

  const result = (await handle.result()) as FlowCallStatus;
  // The whole ending with the path, so a failure says how the call ended, not only where.
  const { endedBy, disposition, endedAt, answeredAt } = result;
  expect({
    path: result.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`),
    ...(result.path.length < 4 ? { endedBy, disposition, answeredAt, endedAt, worker: failedTasks() } : {}),
  }).toEqual({ path: ['hello:next', 'code:valid', 'read:next', 'bye:'] });
  expect(result.variables).toMatchObject({ code: '427' });
  expect(await versionsOf(call.workflowId)).toContain(forced.body.failoverVersion);
  // One CDR, written once.
  const { rows } = await stack.pool.query<{ n: string }>(
    'select count(*) as n from cdrs where workflow_id = $1',
    [call.workflowId],
  );
  expect(Number(rows[0]!.n)).toBe(1);

  expect((await failover(A.name, 'graceful')).status).toBe(200);
}, 120_000);

const { campaign, publishFlow, contactsOf, finished } = campaignKit(() => stack);
const beepThenHangUp = async () =>
  publishFlow(
    [
      { id: 'listen', type: 'play', params: { prompt: { kind: 'sound', name: 'beep' } } },
      { id: 'bye', type: 'hangup' },
    ],
    [{ from: 'listen', exit: 'next', to: 'bye' }],
  );
/** The synthetic parties Asterisk dialed since `since` whose number matches, by number. */
async function dialedSince(since: Date, number: RegExp): Promise<string[]> {
  return (await channelsCreatedSince(stack, since))
    .map((c) => /^Local\/(\d+)@synthetic-party.*;1$/.exec(c?.name ?? '')?.[1])
    .filter((n): n is string => !!n && number.test(n))
    .sort();
}

test('a campaign running when the namespace fails over dials each contact once and completes on B', async () => {
  const since = new Date();
  const flowId = await beepThenHangUp();
  const phones = ['151', '152', '153', '154', '155', '156'];
  const id = await campaign(
    { target: { kind: 'flow', flowId }, pacing: { callsPerSecond: 1, maxConcurrent: 2 } },
    phones.map((phone) => ({ phone, tz: zones().open })),
  );
  expect((await stack.api(`/v1/campaigns/${id}/start`, json('POST'))).status).toBe(202);
  await new Promise((r) => setTimeout(r, 2500));
  const forced = await failover(B.name, 'forced');
  expect(forced.status).toBe(200);

  await finished(id, 90_000);
  expect(Object.values(await contactsOf(id))).toEqual(phones.map(() => 'done/1/answered'));
  expect(await dialedSince(since, /^15\d$/)).toEqual(phones);
  expect(await versionsOf(campaignWorkflowId(id))).toContain(forced.body.failoverVersion);
  expect((await failover(A.name, 'graceful')).status).toBe(200);
}, 150_000);

test('an attempt the campaign finds already running is left to run: dialed once, counted once', async () => {
  const since = new Date();
  const flowId = await publishFlow(
    [
      // A few seconds of prompts: the attempt is still running when the campaign starts it again.
      { id: 'first', type: 'play', params: { prompt: { kind: 'sound', name: 'vm-enter-num-to-call' } } },
      { id: 'again', type: 'play', params: { prompt: { kind: 'sound', name: 'vm-enter-num-to-call' } } },
      { id: 'bye', type: 'hangup' },
    ],
    [
      { from: 'first', exit: 'next', to: 'again' },
      { from: 'again', exit: 'next', to: 'bye' },
    ],
  );
  const id = await campaign(
    { target: { kind: 'flow', flowId }, pacing: { callsPerSecond: 1, maxConcurrent: 2 } },
    ['161', '162'].map((phone) => ({ phone, tz: zones().open })),
  );
  const { rows } = await stack.pool.query<{ id: string; phone: string; time_zone: string; config: unknown }>(
    `select cc.id, cc.phone, cc.time_zone, c.config from campaign_contacts cc join campaigns c on c.id = cc.campaign_id
      where cc.campaign_id = $1 order by cc.line`,
    [id],
  );
  const settings = CampaignSettings.parse(rows[0]!.config);
  const plan: CampaignPlan = {
    campaignId: id,
    tenantId: stack.config.DEFAULT_TENANT,
    target: settings.target,
    callerId: settings.callerId,
    mode: settings.mode,
    pacing: settings.pacing,
    amd: settings.amd,
    ringSeconds: settings.ringSeconds,
  };
  // The first contact's first attempt, started as a lost branch's start would have left it.
  const first = rows[0]!;
  await stack.temporal.workflow.start('CampaignAttemptWorkflow', {
    workflowId: attemptWorkflowId(id, first.id, 1),
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [
      {
        plan,
        contact: { id: first.id, phone: first.phone, timeZone: first.time_zone, fields: {}, attempt: 1 },
      },
    ],
  });
  expect((await stack.api(`/v1/campaigns/${id}/start`, json('POST'))).status).toBe(202);

  await finished(id, 90_000);
  expect(await contactsOf(id)).toEqual({ '161': 'done/1/answered', '162': 'done/1/answered' });
  expect(await dialedSince(since, /^16\d$/)).toEqual(['161', '162']);
  // Campaigns of this release start attempts from an activity, not as children (patch
  // campaign-launches-by-activity): no child start for a forced failover to lose (Temporal #10286), so
  // nothing to wake; the running attempt is simply not started twice.
  const events = (await stack.temporal.workflow.getHandle(campaignWorkflowId(id)).fetchHistory()).events!;
  expect(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
  expect(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'startAttempts')
      .length,
  ).toBeGreaterThan(0);
  const progress = (await stack.api(`/v1/campaigns/${id}/progress`)).body;
  expect(progress).toMatchObject({ launched: 2, finished: 2, inFlight: 0 });
}, 120_000);
