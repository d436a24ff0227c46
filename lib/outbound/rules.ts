import { asteriskNodes, type Config } from '../config';
import { resolveServiceEndpoints, type OutboundRules, type ServiceEndpoint } from './address';

let services: Promise<ServiceEndpoint[]> | undefined;

/** CTICloud's own services as this process is configured: ARI of every node, NATS, PostgreSQL, Temporal, the API. */
export function ownServices(config: Config): Promise<ServiceEndpoint[]> {
  services ??= resolveServiceEndpoints([
    ...asteriskNodes(config).map((node) => node.url),
    config.NATS_URL,
    `http://127.0.0.1:${config.NATS_MONITOR_PORT}`,
    config.DATABASE_URL,
    config.TEMPORAL_ADDRESS,
    `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`,
    `http://${config.API_HOST}:${config.API_PORT}`,
  ]);
  return services;
}

/** The rules a tenant's outbound request is checked by (see lib/outbound/address.ts). */
export async function outboundRules(config: Config, allowPrivate: boolean): Promise<OutboundRules> {
  return { policy: config.OUTBOUND_POLICY, allowPrivate, services: await ownServices(config) };
}
