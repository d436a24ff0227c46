/**
 * npm run failover -- <namespace> <cluster> [--graceful] [--allowed-lag 5] [--address host:port]
 * Makes <cluster> the active cluster of a global namespace (docs/temporal.md). Forced by default: the only
 * kind possible when the active cluster is down. --graceful runs the server's handover workflow on the
 * active cluster: it waits until <cluster> has caught up, then moves the namespace with nothing lost.
 * --address is any live cluster's frontend (default TEMPORAL_ADDRESS).
 *
 * npm run failover -- site-a [--lost | --fail-back]   (two sites: npm start -- --sites 2)
 * Site a is lost: its namespace moves to the other site's cluster (forced), whose takeover worker runs it.
 * --lost: site a will not come back; its Asterisk nodes are declared lost too, so what was left on them
 * ends at once instead of waiting for them (docs/architecture.md, "A site that never comes back").
 * --fail-back: site a is back; its namespace returns to it gracefully (nothing lost, no node lost).
 */
import { Connection } from '@temporalio/client';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { failover } from '../lib/temporal-clusters';
import { setLostNodes } from '../lib/sites/lost-nodes';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    graceful: { type: 'boolean', default: false },
    'fail-back': { type: 'boolean', default: false },
    lost: { type: 'boolean', default: false },
    'allowed-lag': { type: 'string', default: '5' },
    address: { type: 'string', default: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' },
  },
});

interface Move {
  namespace: string;
  cluster: string;
  address: string;
  graceful: boolean;
  /** Asterisk nodes to declare lost once the namespace has moved. */
  lostNodes: string[];
}

/** A site's Asterisk nodes' names, from its environment (ASTERISK_NODES, or ASTERISK_NODE). */
function nodesOf(env: Record<string, string>): string[] {
  if (env.ASTERISK_NODES) return env.ASTERISK_NODES.split(',').map((e) => e.slice(0, e.indexOf('=')).trim());
  return [env.ASTERISK_NODE ?? 'asterisk-1'];
}

/** The sites npm start -- --sites 2 wrote (scripts/sites.ts), by name. */
function sites(): Map<string, Record<string, string>> {
  const dir = path.join(
    process.env.CTICLOUD_STATE ?? path.join(os.homedir(), '.cache', 'cticloud', 'state'),
    'sites',
  );
  const found = new Map<string, Record<string, string>>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /^[a-z0-9]+\.env$/.test(f));
  } catch {
    // no sites
  }
  for (const file of files) {
    const env = Object.fromEntries(
      readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    found.set(env.SITE!, env);
  }
  return found;
}

function siteMove(name: string): Move {
  const all = sites();
  const site = all.get(name);
  const peer = [...all.values()].find((s) => s.SITE !== name);
  if (!site || !peer) {
    throw new Error(
      `no site ${name} and peer: start them with npm start -- --sites 2 (found: ${[...all.keys()]})`,
    );
  }
  // Failing over: to the peer, asked of the peer (the lost site does not answer). Failing back: to the site,
  // asked of the peer, where the namespace is active.
  return {
    namespace: site.TEMPORAL_NAMESPACE!,
    cluster: values['fail-back'] ? site.TEMPORAL_CLUSTER! : peer.TEMPORAL_CLUSTER!,
    address: peer.TEMPORAL_ADDRESS!,
    graceful: values['fail-back'] || values.graceful,
    lostNodes: values.lost && !values['fail-back'] ? nodesOf(site) : [],
  };
}

function move(): Move {
  const [first, second] = positionals;
  const site = /^site-([a-z][a-z0-9]*)$/.exec(first ?? '');
  if (site && !second) return siteMove(site[1]!);
  if (!first || !second) {
    console.error(
      'usage: npm run failover -- <namespace> <cluster> [--graceful] [--allowed-lag S] [--address A]\n' +
        '       npm run failover -- site-<name> [--lost | --fail-back]',
    );
    process.exit(2);
  }
  return {
    namespace: first,
    cluster: second,
    address: values.address,
    graceful: values.graceful,
    lostNodes: [],
  };
}

async function main(): Promise<void> {
  const m = move();
  const connection = await Connection.connect({ address: m.address, connectTimeout: 5000 });
  try {
    const result = await failover(connection, {
      namespace: m.namespace,
      cluster: m.cluster,
      mode: m.graceful ? 'graceful' : 'forced',
      allowedLagSeconds: Number(values['allowed-lag']),
    });
    console.log(
      `${m.namespace}: active on ${result.activeCluster} (was ${result.previousActiveCluster}), ` +
        `${m.graceful ? 'graceful' : 'forced'}, ${result.tookMs} ms, failover version ${result.failoverVersion}`,
    );
    if (m.lostNodes.length) {
      const lost = await setLostNodes(connection, m.namespace, m.lostNodes);
      console.log(`${m.namespace}: Asterisk nodes declared lost: ${lost.join(', ')}`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
