import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach unless its tenant is allowed: loopback, private (RFC 1918, ULA),
 * link-local (cloud metadata lives at 169.254.169.254), CGNAT, multicast and reserved ranges. Otherwise a
 * webhook is a way to make CTICloud probe the network it runs in.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
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
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  // NAT64 carries an IPv4 address in its last 32 bits: refused wholesale rather than decoded.
  ['64:ff9b::', 96],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** Whether `ip` is loopback, private, link-local or otherwise not a public Internet address. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  // BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rules as well.
  if (family === 6) return blocked.check(ip, 'ipv6');
  return true;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** http(s) only, and no user:password in the URL (it would end up in logs). */
export function checkWebhookUrlSyntax(raw: string): UrlCheck {
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

/**
 * Checks a webhook URL: its syntax, then every address its host resolves to (one private address is
 * enough to refuse: which one a connection would use is up to the resolver).
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<UrlCheck> {
  const syntax = checkWebhookUrlSyntax(raw);
  if (!syntax.ok || allowPrivate) return syntax;
  const host = hostOf(syntax.url);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    return {
      ok: false,
      reason: `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
  const refused = addresses.find(isPrivateAddress);
  if (refused) return { ok: false, reason: `${host} resolves to ${refused}, a private or loopback address` };
  return syntax;
}
