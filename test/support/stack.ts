import { Client, Connection } from '@temporalio/client';
import type { RawAriClient } from 'ari-client';
import { connectAri } from '../../asterisk/ari';
import { AriCommands } from '../../asterisk/ari-commands';
import { loadConfig, type Config } from '../../lib/config';
import { createPool, migrate, type Pool } from '../../lib/db';
import { ensureBootstrap } from '../../lib/api-keys';
import { ManagedProcess } from './process';
import { replayClosedSince } from './replay';

export interface TestStack {
  config: Config;
  ari: AriCommands;
  rawAri: RawAriClient;
  temporal: Client;
  pool: Pool;
  bridge: ManagedProcess;
  mirror: ManagedProcess;
  worker: ManagedProcess;
  gateway: ManagedProcess;
  api(path: string, init?: RequestInit & { key?: string | null }): Promise<{ status: number; body: any }>;
  /** Replays every call workflow this stack saw finish; what is still running is skipped. */
  replayCalls(): Promise<{ replayed: number; failures: string[] }>;
  close(): Promise<void>;
}

export const ready = {
  bridge: /"msg":"ARI connected"/,
  worker: /"msg":"worker ready"/,
  gateway: /Server listening/,
} as const;

/** The real stack for one test file: shared infrastructure, and CTICloud's own processes started fresh. */
export async function startStack(
  parts: {
    gateway?: boolean;
    /** The worker's own settings (e.g. another Temporal frontend). */ workerEnv?: Record<string, string>;
  } = {},
): Promise<TestStack> {
  const config = loadConfig();
  const startedAt = new Date();
  const pool = createPool(config.DATABASE_URL, 4);
  await migrate(pool);
  await ensureBootstrap(pool, config.DEFAULT_TENANT, config.ADMIN_API_KEY, config.OPERATOR_API_KEY);
  const rawAri = await connectAri({
    url: config.ARI_URL,
    user: config.ARI_USER,
    password: config.ARI_PASSWORD,
  });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

  const bridge = new ManagedProcess('bridge', 'asterisk/bridge.ts').start();
  const mirror = new ManagedProcess('bridge-mirror', 'asterisk/bridge.ts', {
    ARI_BRIDGE_ROLE: 'mirror',
  }).start();
  const worker = new ManagedProcess('worker', 'workers/worker.ts', parts.workerEnv).start();
  const gateway = new ManagedProcess('gateway', 'gateway/server.ts');
  if (parts.gateway) gateway.start();
  await Promise.all([
    bridge.waitFor(ready.bridge),
    mirror.waitFor(ready.bridge),
    worker.waitFor(ready.worker, 90_000),
    parts.gateway ? gateway.waitFor(ready.gateway) : undefined,
  ]);

  const base = `http://${config.API_HOST}:${config.API_PORT}`;
  return {
    config,
    ari: new AriCommands(rawAri),
    rawAri,
    temporal,
    pool,
    bridge,
    mirror,
    worker,
    gateway,
    api: apiClient(base, config.ADMIN_API_KEY),
    replayCalls: () => replayClosedSince(temporal, startedAt),
    async close() {
      await Promise.all([bridge.stop(), mirror.stop(), worker.stop(), gateway.stop()]);
      await connection.close();
      await pool.end();
      rawAri.removeAllListeners();
    },
  };
}

/** A gateway's API as the tests call it: JSON answers, with `key` (default `defaultKey`; null: none). */
export function apiClient(base: string, defaultKey: string): TestStack['api'] {
  return async (path, init = {}) => {
    const { key = defaultKey, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    const response = await fetch(`${base}${path}`, { ...rest, headers });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** The call's workflow, once the router has started it (the caller's originate returns before that). */
export async function callWorkflow(temporal: Client, workflowId: string, timeoutMs = 15_000) {
  const handle = temporal.workflow.getHandle(workflowId);
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await handle.describe();
      return handle;
    } catch (err) {
      if (Date.now() > until)
        throw new Error(`workflow ${workflowId} was not started: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
