/**
 * Issue #19's metrics on the real stack: the gateway's (requests by route and status, and the business
 * figures read from PostgreSQL and Temporal), the worker's own, and the Temporal SDK's, each scraped from its
 * own listener as Prometheus would. A caller waits in a queue with nobody to answer (waiting 1), an agent
 * signs in and takes the call (waiting 0, one answered within the service level, one CDR).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prometheusConfig, scrapeTargets } from '../../lib/metrics/prometheus-config';
import { lostNodesOf } from '../../lib/sites/lost-nodes';
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
  // The router's durable consumer of Asterisk's events, caught up.
  expect(waiting).toMatch(/^cticloud_jetstream_consumer_pending\{stream="ARI",consumer="[^"]+"\} \d+$/m);

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
  // As many as the namespace declares lost (none, unless a fuzz run left some) and this worker does not drive.
  const declared = await lostNodesOf(stack.temporal.connection, stack.config.TEMPORAL_NAMESPACE);
  expect(value(worker, 'cticloud_lost_nodes_answered')).toBe(
    declared.filter((n) => n !== stack.config.ASTERISK_NODE).length,
  );
  const sdk = await scrape(stack.config.TEMPORAL_SDK_METRICS_PORT);
  expect(sdk).toMatch(/^temporal_\w+/m);
  expect(sdk).toMatch(/temporal_worker_task_slots_available\{[^}]*\} \d+/);
  // What ops/prometheus/alerts.yml's WorkflowTaskScheduleToStartSlow reads, in seconds.
  expect(sdk).toMatch(/^temporal_workflow_task_schedule_to_start_latency_bucket\{[^}]*le="0\.\d+"/m);
  // Not on the API: no tenant's request reaches them.
  expect((await stack.api('/metrics')).status).toBe(404);
});

test("a real Prometheus (npm run observe's configuration) scrapes every target up, with the alert rules loaded", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cticloud-prometheus-'));
  const port = 9690;
  const targets = scrapeTargets(stack.config);
  expect(targets.map((t) => t.job).sort()).toEqual([
    'asterisk',
    'cticloud-gateway',
    'cticloud-worker',
    'temporal-sdk',
    'temporal-server',
  ]);
  await writeFile(
    path.join(dir, 'prometheus.yml'),
    prometheusConfig(targets, {
      rulesFile: path.resolve(__dirname, '../../ops/prometheus/alerts.yml'),
      scrapeIntervalSec: 1,
    }),
  );
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const api = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/${p}`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as { data: any }).data : undefined;
  };
  try {
    let health: Record<string, string> = {};
    for (let i = 0; i < 120; i++) {
      const active = (await api('targets'))?.activeTargets as
        { labels: { job: string }; health: string }[] | undefined;
      health = Object.fromEntries((active ?? []).map((t) => [t.labels.job, t.health]));
      if (Object.keys(health).length === targets.length && Object.values(health).every((h) => h === 'up'))
        break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(health).toEqual({
      asterisk: 'up',
      'cticloud-gateway': 'up',
      'cticloud-worker': 'up',
      'temporal-sdk': 'up',
      'temporal-server': 'up',
    });
    const groups = (await api('rules')).groups as { rules: { name: string; health: string }[] }[];
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(16);
    expect(rules.filter((r) => r.health === 'err')).toEqual([]);
    // Asterisk's own count and CTICloud's worker, through Prometheus's query API.
    const ari = await api(`query?query=${encodeURIComponent('cticloud_ari_up')}`);
    expect(ari.result.map((r: { value: [number, string] }) => r.value[1])).toContain('1');
    const channels = await api(`query?query=${encodeURIComponent('asterisk_channels_count')}`);
    expect(channels.result.length).toBeGreaterThanOrEqual(1);
  } finally {
    prometheus.kill('SIGTERM');
    await new Promise((r) => prometheus.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
