/**
 * Issue #16: two whole sites on this box (test/support/two-sites.ts; sites xa and xb at indexes 3 and 4 of
 * scripts/site.sh), each with its own PostgreSQL 18, NATS, Asterisk, Temporal cluster, worker and gateway.
 * What one site's API writes, the other's API serves, keys included; a number is answered at either site,
 * each call running in its own site's namespace next to the Asterisk that carries it, and reaching the other
 * cluster by Temporal's replication; each site writes the CDRs of the calls it carried.
 */
import { json } from '../support/acd';
import { placeCall } from '../support/caller';
import { callWorkflow } from '../support/stack';
import {
  startSiteProcesses,
  startTwoSiteStack,
  stopTwoSiteStack,
  type SiteStack,
} from '../support/two-sites';
import { killSite, startSiteInfrastructure } from '../../lib/sites/bring-up';
import { ticketQuery, ticketWorkflowId } from '../../workflows/ticket/contract';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';

const PLACES = [
  { site: 'xa', index: 3 },
  { site: 'xb', index: 4 },
] as const;

let A: SiteStack;
let B: SiteStack;
beforeAll(async () => {
  [A, B] = await startTwoSiteStack([PLACES[0], PLACES[1]]);
}, 900_000);
afterAll(async () => {
  await stopTwoSiteStack([A, B], [...PLACES]);
}, 120_000);

const operatorKey = () => process.env.OPERATOR_API_KEY!;

/** Until `read` at a site answers what `done` accepts; how long that took, in ms. */
async function servedWithin(
  read: () => Promise<{ status: number; body: any }>,
  done: (r: { status: number; body: any }) => boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    const answer = await read();
    if (done(answer)) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(`not served in ${timeoutMs} ms: ${JSON.stringify(answer).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const FLOW = {
  schemaVersion: 1,
  start: 'hello',
  nodes: [
    { id: 'hello', type: 'play', params: { prompt: { kind: 'sound', name: 'beep' } } },
    { id: 'bye', type: 'hangup' },
  ],
  edges: [{ from: 'hello', exit: 'next', to: 'bye' }],
};
const NUMBER = '7001234';

test("what one site's API writes, the other's serves within 2 s, and a tenant's key made at one works at the other", async () => {
  // A tenant and its admin key, made at B by the platform operator.
  const tenant = `site-t${Date.now() % 100000}`;
  const made = await B.api('/v1/platform/tenants', {
    ...json('POST', { id: tenant, name: 'two sites' }),
    key: operatorKey(),
  });
  expect(made.status).toBe(201);
  const key: string = made.body.adminKey;
  const lag: number[] = [];
  lag.push(
    await servedWithin(
      () => A.api('/v1/flows', { key }),
      (r) => r.status === 200,
    ),
  );

  // Its flow, written at A, published, and a number routed to it at A: all served by B.
  const flow = await A.api('/v1/flows', { ...json('POST', { name: 'both sites', definition: FLOW }), key });
  expect(flow.status).toBe(201);
  lag.push(
    await servedWithin(
      () => B.api(`/v1/flows/${flow.body.id}`, { key }),
      (r) => r.status === 200,
    ),
  );
  expect((await A.api(`/v1/flows/${flow.body.id}/publish`, { method: 'POST', key })).status).toBe(201);
  const provisioned = await A.api('/v1/platform/numbers', {
    ...json('POST', { number: NUMBER, tenantId: tenant }),
    key: operatorKey(),
  });
  expect(provisioned.status).toBe(201);
  expect(
    (await A.api('/v1/numbers', { ...json('POST', { number: NUMBER, flowId: flow.body.id }), key })).status,
  ).toBe(201);
  lag.push(
    await servedWithin(
      () => B.api('/v1/numbers', { key }),
      (r) => r.body?.numbers?.some((n: { number: string; flowId: string }) => n.number === NUMBER),
    ),
  );
  // A do-not-call entry made at B is listed at A.
  expect((await B.api('/v1/dnc', { ...json('POST', { numbers: ['+14155550100'] }), key })).status).toBe(200);
  lag.push(
    await servedWithin(
      () => A.api('/v1/dnc', { key }),
      (r) => JSON.stringify(r.body ?? {}).includes('+14155550100'),
    ),
  );
  // Each change took under 2 s to be served at the other site (polled every 25 ms).
  expect(lag.filter((ms) => ms >= 2000)).toEqual([]);
}, 120_000);

test('a number is answered at either site: each call runs in its own site’s namespace and reaches the other cluster', async () => {
  for (const [here, there] of [
    [A, B],
    [B, A],
  ] as const) {
    const call = await placeCall(here.ari, process.env.ARI_APP!, here.env.ASTERISK_NODE, {
      to: NUMBER,
      holdSec: 5,
    });
    const handle = await callWorkflow(here.temporal, call.workflowId, 30_000);
    const result = (await handle.result()) as FlowCallStatus;
    expect(result.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual(['hello:next', 'bye:']);
    // Its history reached the other site's cluster, in this site's namespace.
    const replica = there.namespace(here.env.TEMPORAL_NAMESPACE).workflow.getHandle(call.workflowId);
    await servedWithin(
      async () => {
        const d = await replica.describe().catch(() => undefined);
        return { status: d ? 200 : 404, body: d?.status.name };
      },
      (r) => r.body === 'COMPLETED',
    );
    // The site that carried the call wrote its CDR; the other did not (CDRs are per site).
    const cdrs = async (s: SiteStack) =>
      Number(
        (await s.pool.query('select count(*) as n from cdrs where workflow_id = $1', [call.workflowId]))
          .rows[0].n,
      );
    expect([await cdrs(here), await cdrs(there)]).toEqual([1, 0]);
  }
}, 180_000);

test('site A lost: its namespace fails over to B, where its ticket SLA clock runs on; A comes back and takes it back', async () => {
  const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const target = { firstResponseSec: 8, resolutionSec: 3600 };
  const settings = await A.api(
    '/v1/tenant/ticket-settings',
    json('PUT', {
      calendar: { timeZone: 'UTC', weekly: [{ days: everyDay, open: '00:00', close: '23:59' }] },
      targets: { low: target, normal: target, high: target, urgent: target },
      escalateTo: 'team-lead',
    }),
  );
  expect(settings.status).toBe(200);
  const created = await A.api(
    '/v1/tickets',
    json('POST', { subject: 'site lost', description: 'clock started at A', priority: 'low' }),
  );
  expect(created.status).toBe(201);
  const workflowId = ticketWorkflowId(created.body.ticketId);

  // kill -9 of every process of site A: CTICloud's, Asterisk, NATS, PostgreSQL, Temporal.
  await Promise.all(A.processes.map((p) => p.kill()));
  await killSite(A.site);
  const killedAt = Date.now();
  const failover = (cluster: string, mode: 'forced' | 'graceful') =>
    B.api('/v1/platform/temporal/failover', {
      ...json('POST', { namespace: A.env.TEMPORAL_NAMESPACE, cluster, mode }),
      key: operatorKey(),
    });
  const forced = await failover(B.env.TEMPORAL_CLUSTER, 'forced');
  expect(forced.status).toBe(200);
  const takeover = B.processes.find((p) => p.name.startsWith('worker-takeover'))!;
  await takeover.waitFor(/"msg":"worker ready"/, 60_000);
  const tookOverMs = Date.now() - killedAt;

  // The ticket's clock ran on at B and breached there, once.
  const atB = B.namespace(A.env.TEMPORAL_NAMESPACE).workflow.getHandle(workflowId);
  let ticket = await atB.query(ticketQuery);
  for (let i = 0; i < 120 && ticket.sla[0]?.state !== 'breached'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    ticket = await atB.query(ticketQuery);
  }
  expect(ticket.sla[0]).toMatchObject({ kind: 'first_response', state: 'breached' });
  const versions = new Set(((await atB.fetchHistory()).events ?? []).map((e) => Number(e.version)));
  expect(versions).toContain(forced.body.failoverVersion);

  // A comes back on its data, catches up, and takes its namespace back; B's takeover stands by again.
  A.processes = await startSiteProcesses(await startSiteInfrastructure(PLACES[0]), B.env);
  const graceful = await failover(A.env.TEMPORAL_CLUSTER, 'graceful');
  expect(graceful.status).toBe(200);
  await takeover.waitFor(/takeover ends/, 30_000);
  const atA = await servedWithin(
    () => A.api(`/v1/tickets/${created.body.ticketId}`),
    (r) => r.status === 200,
    30_000,
  );
  const read = await A.api(`/v1/tickets/${created.body.ticketId}`);
  const states = (read.body.timeline as { kind: string; detail: { state: string } }[])
    .filter((e) => e.kind === 'sla')
    .map((e) => e.detail.state);
  expect(states.filter((s) => s === 'breached')).toEqual(['breached']);
  console.log(
    `site failover: takeover worker ready ${tookOverMs} ms after the kill; A served the ticket ${atA} ms after fail-back`,
  );
}, 300_000);
