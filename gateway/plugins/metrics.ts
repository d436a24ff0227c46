import fp from 'fastify-plugin';
import fastifyMetrics from 'fastify-metrics';
import promClient from 'prom-client';
import { registerBusinessMetrics } from '../../lib/metrics/business';
import { serveMetrics } from '../../lib/metrics/serve';
import { durableConsumerLags } from '../../lib/metrics/jetstream';

/**
 * The gateway's Prometheus metrics (fastify-metrics on prom-client): request rate, latency and errors by
 * route and status (`http_request_duration_seconds`, with the route's pattern, never the raw URL, as label),
 * Node's own (event-loop lag, heap, GC), and CTICloud's business metrics (lib/metrics/business.ts). Served on
 * their own listener (GATEWAY_METRICS_PORT on METRICS_HOST), not on the API: no tenant key reaches them.
 */
export default fp(
  async (app) => {
    const registry = promClient.register;
    // Only this gateway's metrics: another instance in the same process (the tests) starts afresh.
    registry.clear();
    await app.register(fastifyMetrics, {
      endpoint: null,
      defaultMetrics: { enabled: true },
      routeMetrics: { enabled: true, registeredRoutesOnly: true, groupStatusCodes: false },
    });
    registerBusinessMetrics(registry, {
      pool: app.pg,
      countRunning: async (query) => (await app.temporal.workflow.count(query)).count,
      peerSite: app.config.PEER_SITE,
      consumers: () => durableConsumerLags(app.nats),
    });
    if (!app.config.GATEWAY_METRICS_PORT) return;
    const server = await serveMetrics(registry, {
      host: app.config.METRICS_HOST,
      port: app.config.GATEWAY_METRICS_PORT,
      log: app.log,
    });
    app.decorate('metricsPort', server.port);
    app.addHook('onClose', () => server.close());
  },
  { name: 'cticloud-metrics' },
);

declare module 'fastify' {
  interface FastifyInstance {
    /** Where this gateway's metrics are served; undefined when they are not. */
    metricsPort?: number;
  }
}
