/**
 * Issue #19's metrics on the real stack: the gateway's (requests by route and status, and the business
 * figures read from PostgreSQL and Temporal), the worker's own, and the Temporal SDK's, each scraped from its
 * own listener as Prometheus would. A caller waits in a queue with nobody to answer (waiting 1), an agent
 * signs in and takes the call (waiting 0, one answered within the service level, one CDR).
 */
import { acdKit } from '../support/acd';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

/** One scrape, as Prometheus's text format: `name{labels} value` lines. */
async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}
/** The value of the series of `name` whose labels include all of `labels`; undefined when none. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => (m[3] ?? '').includes(`${k}="${v}"`));
    if (has) return Number(m[4]);
  }
  return undefined;
}
async function until(port: number, ok: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(port);
    if (ok(text) || Date.now() > end) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the gateway counts requests by route pattern and status, and tells waiting, agents, outcomes and calls', async () => {
  const port = stack.config.GATEWAY_METRICS_PORT;
  const kit = acdKit(stack);
  const queue = await kit.queue({ wrapUpSec: 0 });
  const labels = { tenant: stack.config.DEFAULT_TENANT, queue: queue.id };
  for (let i = 0; i < 3; i++) expect((await stack.api(`/v1/queues/${queue.id}`)).status).toBe(200);
  expect((await stack.api('/v1/queues/not-a-uuid')).status).toBe(400);

  const before = await scrape(port);
  // The route's pattern, never the raw URL: one series however many queues are read.
  expect(
    value(before, 'http_request_duration_seconds_count', {
      method: 'GET',
      route: '/v1/queues/:id',
      status_code: '200',
    }),
  ).toBeGreaterThanOrEqual(3);
  expect(before).not.toContain(`route="/v1/queues/${queue.id}"`);
  expect(
    value(before, 'http_request_duration_seconds_count', { route: '/v1/queues/:id', status_code: '400' }),
  ).toBeGreaterThanOrEqual(1);
  expect(value(before, 'nodejs_eventloop_lag_p99_seconds')).toBeDefined();
  // A queue with nothing to tell (nobody waiting, no agent, no outcome this hour) has no series.
  expect(value(before, 'cticloud_queue_waiting', labels)).toBeUndefined();

  // A caller in line, nobody to answer.
  const caller = await kit.call(await kit.queueFlow(queue.id));
  const waiting = await until(port, (t) => value(t, 'cticloud_queue_waiting', labels) === 1);
  expect(value(waiting, 'cticloud_queue_waiting', labels)).toBe(1);
  expect(value(waiting, 'cticloud_calls_active')).toBeGreaterThanOrEqual(1);

  // An agent signs in and takes the call (rings a second, talks two).
  const agent = await kit.agent('102', [queue.id]);
  expect((await kit.setState(agent.id, 'available')).status).toBe(200);
  await kit.result(caller);
  const after = await until(
    port,
    (t) => value(t, 'cticloud_queue_outcomes_60m', { ...labels, outcome: 'answered' }) === 1,
  );
  expect(value(after, 'cticloud_queue_waiting', labels)).toBe(0);
  expect(value(after, 'cticloud_queue_outcomes_60m', { ...labels, outcome: 'answered' })).toBe(1);
  expect(value(after, 'cticloud_queue_outcomes_60m', { ...labels, outcome: 'abandoned' })).toBe(0);
  expect(value(after, 'cticloud_queue_service_level_ratio', { ...labels, window: '15m' })).toBe(1);
  expect(
    value(after, 'cticloud_agents', { tenant: stack.config.DEFAULT_TENANT, state: 'available' }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    value(after, 'cticloud_calls_ended_15m', {
      tenant: stack.config.DEFAULT_TENANT,
      disposition: 'answered',
    }),
  ).toBeGreaterThanOrEqual(1);
}, 120_000);

test("the worker tells its Asterisk is up and that it serves its namespace; the SDK's own metrics are there", async () => {
  const worker = await scrape(stack.config.WORKER_METRICS_PORT);
  expect(value(worker, 'cticloud_ari_up', { node: stack.config.ASTERISK_NODE })).toBe(1);
  expect(value(worker, 'cticloud_worker_serving', { namespace: stack.config.TEMPORAL_NAMESPACE })).toBe(1);
  expect(value(worker, 'cticloud_lost_nodes_answered')).toBe(0);
  const sdk = await scrape(stack.config.TEMPORAL_SDK_METRICS_PORT);
  expect(sdk).toMatch(/^temporal_\w+/m);
  expect(sdk).toMatch(/temporal_worker_task_slots_available\{[^}]*\} \d+/);
  // What ops/prometheus/alerts.yml's WorkflowTaskScheduleToStartSlow reads, in seconds.
  expect(sdk).toMatch(/^temporal_workflow_task_schedule_to_start_latency_bucket\{[^}]*le="0\.\d+"/m);
  // Not on the API: no tenant's request reaches them.
  expect((await stack.api('/metrics')).status).toBe(404);
});
