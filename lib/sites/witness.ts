/**
 * The witness of automatic site failover (lib/sites/auto-failover.ts): a small HTTP service in a third place
 * that answers, for a site it knows, whether it reaches that site's gateway now. It probes only the sites it
 * was configured with (WITNESS_SITES), so it cannot be used to reach anything else.
 */
import http from 'node:http';
import { PEER_PROBE } from './auto-failover';

/** `a=http://10.0.0.1:3000,b=http://10.1.0.1:3000` as a map of site → gateway base URL. */
export function parseWitnessSites(text: string): Map<string, string> {
  const sites = new Map<string, string>();
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const [name, url] = [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
    if (eq < 1 || !/^[a-z][a-z0-9]{0,15}$/.test(name))
      throw new Error(`WITNESS_SITES: bad site in "${entry}"`);
    new URL(url); // throws on a bad URL
    sites.set(name, url.replace(/\/$/, ''));
  }
  if (!sites.size) throw new Error('WITNESS_SITES: no site');
  return sites;
}

/** Whether the gateway at `baseUrl` answers its health check within `timeoutMs`. */
export async function reaches(baseUrl: string, timeoutMs = PEER_PROBE.timeoutMs): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/** `GET /sites/<name>` → `{ site, reachable }`; 404 for a site it does not know. */
export function createWitness(sites: Map<string, string>): http.Server {
  return http.createServer((req, res) => {
    const name = /^\/sites\/([a-z][a-z0-9]{0,15})$/.exec(req.url ?? '')?.[1];
    const url = name ? sites.get(name) : undefined;
    const send = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET' || !name || !url) return send(404, { error: 'no such site' });
    void reaches(url).then((reachable) => send(200, { site: name, reachable }));
  });
}
