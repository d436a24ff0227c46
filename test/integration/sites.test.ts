/**
 * Issue #16: two whole sites on this box (test/support/two-sites.ts; sites xa and xb at indexes 3 and 4 of
 * scripts/site.sh), each with its own PostgreSQL 18, NATS, Asterisk, Temporal cluster, worker and gateway.
 * What one site's API writes, the other's API serves, keys included; a number is answered at either site,
 * each call running in its own site's namespace next to the Asterisk that carries it, and reaching the other
 * cluster by Temporal's replication; each site writes the CDRs of the calls it carried.
 */
import { json } from '../support/acd';
import { placeCall } from '../support/caller';
import { BEEP_THEN_HANG_UP } from '../support/definitions';
import { ensureUiBuilt, launchBrowser, openUi, screenshot } from '../support/browser';
import { callWorkflow } from '../support/stack';
import {
  servedWithin,
  startTwoSiteStack,
  stopTwoSiteStack,
  TEST_SITES,
  type SiteStack,
} from '../support/two-sites';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';

const PLACES = TEST_SITES;

let A: SiteStack;
let B: SiteStack;
beforeAll(async () => {
  // Before the gateways start: they serve the UI only when it is built.
  ensureUiBuilt();
  [A, B] = await startTwoSiteStack([PLACES[0], PLACES[1]]);
}, 900_000);
afterAll(async () => {
  await stopTwoSiteStack([A, B], [...PLACES]);
}, 120_000);

const operatorKey = () => process.env.OPERATOR_API_KEY!;

const FLOW = BEEP_THEN_HANG_UP;
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
  // An event stream token minted at A opens the stream at B (signed with the secret both sites share).
  const minted = await A.api('/v1/events/token', { method: 'POST', key });
  expect(minted.status).toBe(201);
  const stream = new AbortController();
  const opened = await fetch(
    `http://127.0.0.1:${B.env.API_PORT}/v1/events?access_token=${encodeURIComponent(minted.body.token)}`,
    { signal: stream.signal },
  );
  expect([opened.status, opened.headers.get('content-type')]).toEqual([
    200,
    expect.stringContaining('text/event-stream'),
  ]);
  stream.abort();
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

test("the operator sees both sites from either: each one's health, how far behind it applies the other's changes, and where each namespace is active", async () => {
  const view = async (at: SiteStack) => {
    let body: any;
    // Heartbeats start with the gateways: wait until each site has applied one of the other's.
    await servedWithin(
      async () => {
        const r = await at.api('/v1/platform/sites', { key: operatorKey() });
        body = r.body;
        return r;
      },
      (r) => r.status === 200 && r.body.sites.every((s: any) => s.replication?.lagMs !== null),
    );
    return body;
  };
  const fromA = await view(A);
  expect(fromA.site).toBe('xa');
  expect(fromA.sites.map((s: any) => [s.name, s.here, s.cluster, s.status])).toEqual([
    ['xa', true, 'site-xa', 'ready'],
    ['xb', false, 'site-xb', 'ready'],
  ]);
  for (const s of fromA.sites) expect(s.replication.lagMs).toBeLessThan(2000);
  expect(fromA.namespaces.map((n: any) => [n.namespace, n.home, n.activeCluster])).toEqual([
    ['cticloud-xa', 'xa', 'site-xa'],
    ['cticloud-xb', 'xb', 'site-xb'],
  ]);
  const fromB = await view(B);
  expect(fromB.sites.map((s: any) => [s.name, s.here])).toEqual([
    ['xb', true],
    ['xa', false],
  ]);
  // Tenants' keys see nothing of it.
  expect((await A.api('/v1/platform/sites')).status).toBe(403);
});

test("the Sites page shows both sites; its take-over and fail-back buttons move B's namespace to A and back; a node declared lost is shown until the fail-back clears it", async () => {
  const browser = await launchBrowser();
  try {
    const { page, errors, serverErrors } = await openUi(
      browser,
      `http://127.0.0.1:${A.env.API_PORT}`,
      operatorKey(),
    );
    // Confirmations accepted; the prompt for a lost site's nodes keeps its default (site-<name>).
    page.on(
      'dialog',
      (dialog) => void dialog.accept(dialog.type() === 'prompt' ? dialog.defaultValue() : undefined),
    );
    await page.getByRole('link', { name: 'Sites' }).click();
    const sites = page.getByRole('table', { name: 'Sites' });
    const row = (text: string | RegExp) => sites.getByRole('row').filter({ hasText: text });
    await row('xa (this site)').filter({ hasText: 'ready' }).waitFor();
    await row(/^xb/).filter({ hasText: 'ready' }).waitFor();
    const namespaces = page.getByRole('table', { name: 'Namespaces' });
    await screenshot(page, 'sites');

    // B's namespace taken over here (forced), then given back (graceful): B's own worker stands by between.
    await namespaces.getByRole('button', { name: 'Take over xb here' }).click();
    await namespaces.getByRole('button', { name: 'Fail back to xb' }).waitFor({ timeout: 15_000 });
    const takeoverAtA = A.processes.find((p) => p.name.startsWith('worker-takeover'))!;
    await takeoverAtA.waitFor(/"msg":"active here"/, 15_000);
    await B.processes.find((p) => p.name.startsWith('worker-site'))!.waitFor(/active elsewhere/, 15_000);
    // Declared lost from the page (no call is on B's Asterisk here): A's takeover worker answers its queue.
    await namespaces.getByRole('button', { name: 'xb lost for good' }).click();
    await namespaces.getByText('lost: site-xb').waitFor({ timeout: 15_000 });
    await takeoverAtA.waitFor(/node declared lost/, 15_000);
    await namespaces.getByRole('button', { name: 'Fail back to xb' }).click();
    await namespaces.getByRole('button', { name: 'Take over xb here' }).waitFor({ timeout: 30_000 });
    await takeoverAtA.waitFor(/active elsewhere/, 15_000);
    // B is back: the fail-back cleared the declaration.
    await namespaces.getByText('lost: site-xb').waitFor({ state: 'detached', timeout: 15_000 });
    const seen = await A.api('/v1/platform/sites', { key: operatorKey() });
    expect(seen.body.namespaces.find((n: any) => n.namespace === 'cticloud-xb').lostNodes).toEqual([]);
    expect({ errors, serverErrors }).toEqual({ errors: [], serverErrors: [] });
  } finally {
    await browser.close();
  }
}, 120_000);
