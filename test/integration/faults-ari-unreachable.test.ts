import net from 'node:net';
import { loadConfig } from '../../lib/config';
import { ManagedProcess } from '../support/process';
import { ready } from '../support/stack';

const config = loadConfig();
const PROXY_PORT = 18097;

/** Becomes "ARI" on PROXY_PORT when started: a TCP relay to the real Asterisk. */
function startRelay(): Promise<net.Server> {
  const target = new URL(config.ARI_URL);
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve) => server.listen(PROXY_PORT, '127.0.0.1', () => resolve(server)));
}

test('ARI unreachable at start: bridge and worker say why, keep retrying, and connect once ARI is there', async () => {
  const env = {
    ARI_URL: `http://127.0.0.1:${PROXY_PORT}`,
    ARI_APP: `${config.ARI_APP}-late`,
    TEMPORAL_TASK_QUEUE: `${config.TEMPORAL_TASK_QUEUE}-late`,
  };
  const bridge = new ManagedProcess('bridge-late', 'asterisk/bridge.ts', env).start();
  const worker = new ManagedProcess('worker-late', 'workers/worker.ts', env).start();
  let relay: net.Server | undefined;
  try {
    await bridge.waitFor(/ARI disconnected; reconnecting.*ECONNREFUSED|ECONNREFUSED.*ARI disconnected/);
    await worker.waitFor(/ECONNREFUSED.*ARI unavailable; retrying/, 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(bridge.running && worker.running).toBe(true);

    relay = await startRelay();
    await bridge.waitFor(ready.bridge, 20_000);
    await worker.waitFor(ready.worker, 60_000);
  } finally {
    await Promise.all([bridge.stop(), worker.stop()]);
    relay?.close();
  }
});
