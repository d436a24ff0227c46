/**
 * The worker's Prometheus metrics, on WORKER_METRICS_PORT: Node's own (event-loop lag, heap, GC) and
 * CTICloud's (which Asterisk nodes answer ARI, whether this worker serves its namespace, the nodes it answers
 * for as lost). The Temporal SDK's own metrics (task slots, schedule-to-start latency, sticky cache, polls)
 * come from its Rust core on TEMPORAL_SDK_METRICS_PORT (`installSdkMetrics`), installed before any
 * connection as the SDK requires.
 */
import { Runtime } from '@temporalio/worker';
import net from 'node:net';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { serveMetrics, type MetricsServer } from '../lib/metrics/serve';

export interface WorkerMetricsDeps {
  host: string;
  port: number;
  namespace: string;
  nodes: readonly string[];
  isAlive: (node: string) => Promise<boolean>;
  serving: () => boolean;
  lostNodes: () => readonly string[];
  log: Logger;
}

export async function serveWorkerMetrics(deps: WorkerMetricsDeps): Promise<MetricsServer | undefined> {
  if (!deps.port) return undefined;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'cticloud_ari_up',
    help: '1 when the Asterisk node answers ARI, 0 when it does not (checked at most every few seconds)',
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      const alive = await Promise.all(deps.nodes.map((n) => deps.isAlive(n).catch(() => false)));
      deps.nodes.forEach((node, i) => this.set({ node }, alive[i] ? 1 : 0));
    },
  });
  new Gauge({
    name: 'cticloud_worker_serving',
    help: "1 while this worker runs its namespace's workflows (its site's cluster is active), 0 standing by",
    labelNames: ['namespace'],
    registers: [registry],
    collect() {
      this.set({ namespace: deps.namespace }, deps.serving() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cticloud_lost_nodes_answered',
    help: 'Asterisk nodes declared lost whose commands this worker fails (a site gone for good)',
    labelNames: ['namespace'],
    registers: [registry],
    collect() {
      this.set({ namespace: deps.namespace }, deps.lostNodes().length);
    },
  });
  return serveMetrics(registry, deps);
}

/**
 * The Temporal SDK's Prometheus exporter on `port` (0: none). It must be installed before the first
 * connection, and its core fails the process on a port in use, so the port is tried first: taken, the worker
 * runs without SDK metrics and says so.
 */
export async function installSdkMetrics(host: string, port: number, log: Logger): Promise<void> {
  if (!port) return;
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
  if (!free) {
    log.warn({ host, port }, 'Temporal SDK metrics not served: port unavailable');
    return;
  }
  // Seconds, as Prometheus's conventions (and the alert rules in ops/prometheus) expect.
  Runtime.install({
    telemetryOptions: {
      metrics: { prometheus: { bindAddress: `${host}:${port}`, useSecondsForDurations: true } },
    },
  });
  log.info({ host, port }, 'Temporal SDK metrics served at /metrics');
}
