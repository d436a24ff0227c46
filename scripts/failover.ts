/**
 * npm run failover -- <namespace> <cluster> [--graceful] [--allowed-lag 5] [--address host:port]
 * Makes <cluster> the active cluster of a global namespace (docs/temporal.md). Forced by default: the only
 * kind possible when the active cluster is down. --graceful runs the server's handover workflow on the
 * active cluster: it waits until <cluster> has caught up, then moves the namespace with nothing lost.
 * --address is any live cluster's frontend (default TEMPORAL_ADDRESS).
 */
import { Connection } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { failover } from '../lib/temporal-clusters';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    graceful: { type: 'boolean', default: false },
    'allowed-lag': { type: 'string', default: '5' },
    address: { type: 'string', default: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' },
  },
});
const [namespace, cluster] = positionals;
if (!namespace || !cluster) {
  console.error(
    'usage: npm run failover -- <namespace> <cluster> [--graceful] [--allowed-lag S] [--address A]',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const connection = await Connection.connect({ address: values.address, connectTimeout: 5000 });
  try {
    const result = await failover(connection, {
      namespace: namespace!,
      cluster: cluster!,
      mode: values.graceful ? 'graceful' : 'forced',
      allowedLagSeconds: Number(values['allowed-lag']),
    });
    console.log(
      `${namespace}: active on ${result.activeCluster} (was ${result.previousActiveCluster}), ` +
        `${values.graceful ? 'graceful' : 'forced'}, ${result.tookMs} ms, failover version ${result.failoverVersion}`,
    );
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
