import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Where CTICloud may send a tenant's requests (webhooks, flow http nodes). A tenant can make the service
 * call any URL it likes, so without these rules a webhook or an http node is a way to probe and drive the
 * network CTICloud runs in: ARI on 127.0.0.1:8088 would hang up other tenants' calls, and the cloud's
 * metadata service at 169.254.169.254 hands out credentials.
 *
 * - Never: loopback, link-local (cloud metadata), unspecified and multicast addresses, and CTICloud's own
 *   services (ARI, NATS, PostgreSQL, Temporal, the API) on any of this machine's addresses.
 * - Private ranges (RFC 1918, ULA, CGNAT, …) only for a tenant the platform operator allows (self-hosted
 *   deployments call their own CRM).
 * - `OUTBOUND_POLICY=loopback-only` (tests, fuzzing, demos on one box) inverts the first rule: loopback is
 *   the only destination at all, still never CTICloud's own ports, and still only for allowed tenants.
 */
export const OutboundPolicy = { Public: 'public', LoopbackOnly: 'loopback-only' } as const;
export type OutboundPolicy = (typeof OutboundPolicy)[keyof typeof OutboundPolicy];

const subnets = (list: BlockList, family: 'ipv4' | 'ipv6', nets: readonly (readonly [string, number])[]) => {
  for (const [net, prefix] of nets) list.addSubnet(net, prefix, family);
  return list;
};

/** Not a public Internet address: reachable only for tenants allowed private destinations. */
const privateRanges = subnets(
  subnets(new BlockList(), 'ipv4', [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ]),
  'ipv6',
  [
    // IPv4-compatible (deprecated) and unspecified/loopback: the last 32 bits could be any IPv4 address.
    ['::', 96],
    ['fc00::', 7],
    ['fe80::', 10],
    // Site-local (deprecated, still routed by some stacks).
    ['fec0::', 10],
    ['ff00::', 8],
    // NAT64 (well-known and local-use) and 6to4 carry an IPv4 address inside: refused wholesale.
    ['64:ff9b::', 96],
    ['64:ff9b:1::', 48],
    ['2002::', 16],
  ],
);

/** Never reachable from a tenant, whatever the operator allows: loopback, link-local, unspecified. */
const neverRanges = subnets(
  subnets(new BlockList(), 'ipv4', [
    ['0.0.0.0', 8],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['224.0.0.0', 4],
  ]),
  'ipv6',
  [
    ['::', 127],
    ['::1', 128],
    ['fe80::', 10],
    ['ff00::', 8],
  ],
);

const loopbackRanges = subnets(subnets(new BlockList(), 'ipv4', [['127.0.0.0', 8]]), 'ipv6', [['::1', 128]]);

const check = (list: BlockList, ip: string): boolean => {
  const family = isIP(ip);
  // BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rules as well.
  if (family === 4) return list.check(ip, 'ipv4');
  if (family === 6) return list.check(ip, 'ipv6');
  return false;
};

/** Whether `ip` is loopback, private, link-local or otherwise not a public Internet address. */
export function isPrivateAddress(ip: string): boolean {
  return !isIP(ip) || check(privateRanges, ip);
}

export const isLoopbackAddress = (ip: string): boolean => check(loopbackRanges, ip);

/** An address and port of one of CTICloud's own services, as configured (host names are resolved). */
export interface ServiceEndpoint {
  host: string;
  port: number;
}

/** The ports of CTICloud's own services, from their URLs (`postgres://…:5432/db`, `127.0.0.1:7233`). */
export function serviceEndpoints(urls: readonly string[]): ServiceEndpoint[] {
  const endpoints: ServiceEndpoint[] = [];
  for (const raw of urls) {
    try {
      const url = new URL(raw.includes('://') ? raw : `tcp://${raw}`);
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : 0);
      if (port) endpoints.push({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port });
    } catch {
      // Not a URL (a misconfiguration reported elsewhere): nothing to protect by it.
    }
  }
  return endpoints;
}

/** The same with host names resolved: a service named `db.internal` is protected at its addresses. */
export async function resolveServiceEndpoints(urls: readonly string[]): Promise<ServiceEndpoint[]> {
  const resolved: ServiceEndpoint[] = [];
  for (const endpoint of serviceEndpoints(urls)) {
    resolved.push(endpoint);
    if (isIP(endpoint.host)) continue;
    const addresses = await lookup(endpoint.host, { all: true }).catch(() => []);
    for (const a of addresses) resolved.push({ host: a.address, port: endpoint.port });
  }
  return resolved;
}

/** This machine's own addresses: a service bound to 0.0.0.0 answers on every one of them. */
function ownAddresses(): Set<string> {
  const own = new Set(['127.0.0.1', '::1', '0.0.0.0', '::']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) own.add(a.address);
  return own;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };
export type TargetCheck =
  | { ok: true; url: URL; /** The checked address to connect to (no second DNS lookup). */ address: string }
  | {
      ok: false;
      reason: string;
      /** DNS failures may pass; a refused address will not. */ retryable: boolean;
    };

/** http(s) only, and no user:password in the URL (it would end up in logs). */
export function checkUrlSyntax(raw: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: `only http and https URLs are allowed, not ${url.protocol}` };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  return { ok: true, url };
}

/** The URL's host without IPv6 brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

const portOf = (url: URL): number => Number(url.port) || (url.protocol === 'https:' ? 443 : 80);

export interface OutboundRules {
  policy: OutboundPolicy;
  /** The tenant may reach private ranges (set by the platform operator). */
  allowPrivate: boolean;
  /** CTICloud's own services: never reachable. */
  services: readonly ServiceEndpoint[];
}

/** Why one resolved address may not be called under `rules`, or undefined when it may. */
export function addressRefusal(address: string, port: number, rules: OutboundRules): string | undefined {
  const own = ownAddresses();
  const isOwnService = rules.services.some(
    (s) => s.port === port && (s.host === address || own.has(address) || isLoopbackAddress(address)),
  );
  if (isOwnService) return `${address}:${port} is one of CTICloud's own services`;
  if (rules.policy === OutboundPolicy.LoopbackOnly) {
    if (!isLoopbackAddress(address)) return `${address} is not loopback (OUTBOUND_POLICY=loopback-only)`;
    return rules.allowPrivate ? undefined : `${address} is a private or loopback address`;
  }
  if (check(neverRanges, address)) return `${address} is a loopback, link-local or unspecified address`;
  if (isPrivateAddress(address) && !rules.allowPrivate) return `${address} is a private or loopback address`;
  return undefined;
}

/**
 * Checks a URL and every address its host resolves to (one refused address is enough: which one a
 * connection would use is up to the resolver), and answers the address to connect to, so that DNS cannot
 * change between the check and the connection.
 */
export async function checkTarget(raw: string, rules: OutboundRules): Promise<TargetCheck> {
  const syntax = checkUrlSyntax(raw);
  if (!syntax.ok) return { ...syntax, retryable: false };
  const host = hostOf(syntax.url);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, reason: `${host} does not resolve (${code})`, retryable: true };
  }
  if (!addresses.length) return { ok: false, reason: `${host} has no address`, retryable: true };
  for (const address of addresses) {
    const refusal = addressRefusal(address, portOf(syntax.url), rules);
    if (refusal)
      return { ok: false, reason: host === address ? refusal : `${host}: ${refusal}`, retryable: false };
  }
  return { ok: true, url: syntax.url, address: addresses[0]! };
}

/**
 * Whether an allow-list entry names a destination that can never be called (checked when the list is
 * saved; names are checked again at each request, where they resolve): loopback and link-local literals,
 * `localhost`. Under OUTBOUND_POLICY=loopback-only, loopback is what tests and demos call.
 */
export function allowHostRefusal(entry: string, policy: OutboundPolicy): string | undefined {
  const host = entry.replace(/^\*\./, '').toLowerCase();
  if (policy === OutboundPolicy.LoopbackOnly) return undefined;
  if (host === 'localhost' || host.endsWith('.localhost')) return `${entry} is this machine`;
  if (isIP(host) && check(neverRanges, host))
    return `${entry} is a loopback, link-local or unspecified address`;
  return undefined;
}
