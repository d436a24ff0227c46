/**
 * Issue #16's drill, bounded for `npm test`: two whole sites (test/support/two-sites.ts; xa and xb at indexes
 * 3 and 4 of scripts/site.sh), site A holding 100 callbacks due over the next minute and a ticket whose SLA
 * clock runs. Every process of site A is killed (kill -9: CTICloud's, Asterisk, NATS, PostgreSQL, Temporal);
 * its namespace fails over through B's API; B's takeover worker runs it with B's Asterisk, A's agents sign
 * in at B. Each callback is dialed exactly once, from B (Asterisk's own event stream says so at both sites);
 * the ticket breaches once, at B. Then A comes back on its data, stands by, and takes its namespace back.
 */
import { acdKit, json } from '../support/acd';
import { alwaysOpenTicketSettings } from '../support/definitions';
import { channelsCreatedOn } from '../support/ari-log';
import {
  servedWithin,
  startSiteProcesses,
  startTwoSiteStack,
  stopTwoSiteStack,
  type SiteStack,
} from '../support/two-sites';
import { killSite, startSiteInfrastructure } from '../../lib/sites/bring-up';
import { ticketQuery, ticketWorkflowId } from '../../workflows/ticket/contract';
import { callbackWorkflowId, type CallbackStatus } from '../../workflows/callback/contract';

const PLACES = [
  { site: 'xa', index: 3 },
  { site: 'xb', index: 4 },
] as const;
/** Customers 100-199 of the synthetic-party dialplan answer; agents 102 ring a second and talk two. */
const CALLBACKS = 100;
const AGENTS = 10;
const DUE_OVER_MS = 60_000;

let A: SiteStack;
let B: SiteStack;
beforeAll(async () => {
  // Callbacks due later than 3 s wait in Temporal's start delay, as they do in production after a minute.
  process.env.CALLBACK_START_DELAY_FROM_SEC = '3';
  [A, B] = await startTwoSiteStack([PLACES[0], PLACES[1]]);
}, 900_000);
afterAll(async () => {
  await stopTwoSiteStack([A, B], [...PLACES]);
}, 120_000);

const operatorKey = () => process.env.OPERATOR_API_KEY!;
/** The synthetic customers (1xx) Asterisk dialed at a site since `since`, one entry per dial. */
async function customersDialed(site: SiteStack, since: Date): Promise<string[]> {
  return (await channelsCreatedOn(site, since, site.env.ASTERISK_NODE))
    .map(({ channel }) => /^Local\/(1\d\d)@synthetic-party.*;1$/.exec(channel?.name ?? '')?.[1])
    .filter((n): n is string => !!n)
    .sort();
}

test('site A killed with 100 callbacks due and a ticket running: each callback is dialed once, from B; the ticket breaches at B; A takes its namespace back', async () => {
  const since = new Date();
  // A queue and its agents, made and signed in at A.
  const atA = acdKit(A);
  const queue = await atA.queue({ wrapUpSec: 0 });
  const agents = [];
  for (let i = 0; i < AGENTS; i++) agents.push(await atA.agent('102', [queue.id]));
  for (const agent of agents) expect((await atA.setState(agent.id, 'available')).status).toBe(200);

  // A ticket whose first-response clock runs at A.
  const settings = await A.api(
    '/v1/tenant/ticket-settings',
    json('PUT', alwaysOpenTicketSettings(8, { escalateTo: 'team-lead' })),
  );
  expect(settings.status).toBe(200);
  const ticket = await A.api(
    '/v1/tickets',
    json('POST', { subject: 'site lost', description: 'clock started at A', priority: 'low' }),
  );
  expect(ticket.status).toBe(201);

  // 100 callbacks due from 15 s to 75 s from now: none before A dies.
  const dueFrom = Date.now() + 15_000;
  const callbacks: string[] = [];
  for (let i = 0; i < CALLBACKS; i++) {
    const earliest = new Date(dueFrom + (i * DUE_OVER_MS) / CALLBACKS).toISOString();
    const made = await A.api(
      '/v1/callbacks',
      json('POST', { number: String(100 + i), queueId: queue.id, earliest }),
    );
    expect(made.status).toBe(201);
    callbacks.push(made.body.id);
  }
  expect(Date.now()).toBeLessThan(dueFrom);

  // Site A is lost at once, everything of it.
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
  // B's console shows A unreachable, and A's namespace active at B.
  const view = await B.api('/v1/platform/sites', { key: operatorKey() });
  expect(view.body.sites.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
    ['xb', 'ready'],
    ['xa', 'unreachable'],
  ]);
  expect(view.body.namespaces).toContainEqual(
    expect.objectContaining({ namespace: A.env.TEMPORAL_NAMESPACE, home: 'xa', activeCluster: 'site-xb' }),
  );
  // A's agents sign in at B (their softphones register there): routing at B serves A's callbacks.
  const atB = acdKit(B);
  for (const agent of agents) expect((await atB.setState(agent.id, 'available')).status).toBe(200);

  // Every callback ends answered, run by B.
  const inA = B.namespace(A.env.TEMPORAL_NAMESPACE);
  const results = await Promise.all(
    callbacks.map((id) => inA.workflow.getHandle(callbackWorkflowId(id)).result() as Promise<CallbackStatus>),
  );
  const outcomes = results.map((r) => `${r.state}:${r.attempts.map((a) => a.outcome).join(',')}`);
  expect(outcomes.filter((o) => o !== 'completed:answered')).toEqual([]);
  // Each customer dialed exactly once, from B's Asterisk.
  const numbers = callbacks.map((_, i) => String(100 + i)).sort();
  expect(await customersDialed(B, since)).toEqual(numbers);

  // The ticket's clock ran on at B and breached there.
  const ticketAtB = inA.workflow.getHandle(ticketWorkflowId(ticket.body.ticketId));
  let snapshot = await ticketAtB.query(ticketQuery);
  for (let i = 0; i < 120 && snapshot.sla[0]?.state !== 'breached'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    snapshot = await ticketAtB.query(ticketQuery);
  }
  expect(snapshot.sla[0]).toMatchObject({ kind: 'first_response', state: 'breached' });

  // A comes back on its data and stands by; the fail-back returns its namespace, B's takeover stands by.
  A.processes = await startSiteProcesses(await startSiteInfrastructure(PLACES[0]), B.env);
  const graceful = await failover(A.env.TEMPORAL_CLUSTER, 'graceful');
  expect(graceful.status).toBe(200);
  await takeover.waitFor(/active elsewhere/, 30_000);
  await A.processes.find((p) => p.name.startsWith('worker-site'))!.waitFor(/"msg":"worker ready"/, 30_000);
  const served = await servedWithin(
    () => A.api(`/v1/tickets/${ticket.body.ticketId}`),
    (r) => r.status === 200,
    30_000,
  );
  const read = await A.api(`/v1/tickets/${ticket.body.ticketId}`);
  const states = (read.body.timeline as { kind: string; detail: { state: string } }[])
    .filter((e) => e.kind === 'sla')
    .map((e) => e.detail.state);
  expect(states.filter((s) => s === 'breached')).toEqual(['breached']);
  // A's own Asterisk, back with its event stream, dialed none of them.
  expect(await customersDialed(A, since)).toEqual([]);
  console.log(
    `site drill: takeover worker ready ${tookOverMs} ms after the kill; ${CALLBACKS} callbacks answered from B; ` +
      `A served its ticket ${served} ms after the fail-back`,
  );
}, 420_000);
