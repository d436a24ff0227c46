/**
 * Serves a Prometheus registry at `GET /metrics` on its own listener (METRICS_HOST, a port of its own), apart
 * from the API: Prometheus scrapes it without a tenant's key, and no tenant request can reach it. A port in
 * use (a second worker on this host, a bench beside `npm start`) is no reason to stop the process: it runs
 * without metrics and says so.
 */
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface MetricsServer {
  /** The port it listens on; undefined when it could not listen. */
  readonly port: number | undefined;
  close(): Promise<void>;
}

export async function serveMetrics(
  registry: Registry,
  { host, port, log }: { host: string; port: number; log: Pick<Logger, 'info' | 'warn'> },
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        log.warn({ err }, 'metrics not collected');
        res.writeHead(500).end();
      },
    );
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (err) => {
      log.warn({ host, port, reason: err.message }, 'metrics not served: port unavailable');
      resolve(false);
    });
    server.listen(port, host, () => resolve(true));
  });
  const bound = listening ? (server.address() as { port: number }).port : undefined;
  if (bound) log.info({ host, port: bound }, 'metrics served at /metrics');
  return {
    port: bound,
    close: () =>
      new Promise((resolve) => {
        if (!listening) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
