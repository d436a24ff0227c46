/**
 * What a Prometheus scrapes for one CTICloud (npm run observe; the metrics test runs the same): the
 * gateway, the worker and the Temporal SDK inside it, the Temporal server (scripts/temporal-server.sh serves
 * its metrics 11 ports above its frontend), and each Asterisk node's res_prometheus. Written as JSON, which
 * Prometheus reads as YAML.
 */
import { asteriskNodes, type Config } from '../config';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  /** @default '/metrics' */
  path?: string;
}

export function scrapeTargets(config: Config): ScrapeTarget[] {
  const host = config.METRICS_HOST;
  const [temporalHost, temporalPort] = config.TEMPORAL_ADDRESS.split(':');
  const targets: ScrapeTarget[] = [
    { job: 'cticloud-gateway', address: `${host}:${config.GATEWAY_METRICS_PORT}` },
    { job: 'cticloud-worker', address: `${host}:${config.WORKER_METRICS_PORT}` },
    { job: 'temporal-sdk', address: `${host}:${config.TEMPORAL_SDK_METRICS_PORT}` },
    { job: 'temporal-server', address: `${temporalHost}:${Number(temporalPort) + 11}` },
    ...asteriskNodes(config).map((node) => ({ job: 'asterisk', address: new URL(node.url).host })),
  ];
  // A port set to 0 serves nothing.
  return targets.filter((t) => !t.address.endsWith(':0'));
}

export function prometheusConfig(
  targets: readonly ScrapeTarget[],
  { rulesFile, scrapeIntervalSec = 15 }: { rulesFile: string; scrapeIntervalSec?: number },
): string {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of targets) jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);
  return JSON.stringify(
    {
      global: { scrape_interval: `${scrapeIntervalSec}s`, evaluation_interval: `${scrapeIntervalSec}s` },
      rule_files: [rulesFile],
      scrape_configs: [...jobs].map(([job, ts]) => ({
        job_name: job,
        metrics_path: ts[0]!.path ?? '/metrics',
        static_configs: [{ targets: ts.map((t) => t.address) }],
      })),
    },
    null,
    2,
  );
}
