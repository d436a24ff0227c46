/**
 * The router's view of a rollout (lib/rollout.ts): which tenants' new calls go to the build being rolled out.
 * Read from the namespace's data every couple of seconds, so a `npm run rollout -- … --tenants` reaches every
 * site's routers without a restart.
 */
import type { ConnectionLike } from '@temporalio/client';
import type { VersioningOverride } from '@temporalio/common';
import type { Logger } from 'pino';
import { parseRollout, ROLLOUT_KEY, type RolloutRecord } from '../lib/rollout';

export function watchRollout(o: {
  connection: ConnectionLike;
  namespace: string;
  deployment: string;
  log: Logger;
  /** @default 2000 */
  intervalMs?: number;
}): { pinFor(tenantId: string): VersioningOverride | undefined; stop(): void } {
  let record: RolloutRecord | null = null;
  let stopped = false;
  const read = async () => {
    const ns = await o.connection.workflowService.describeNamespace({ namespace: o.namespace });
    const next = parseRollout(ns.namespaceInfo?.data?.[ROLLOUT_KEY]);
    if (JSON.stringify(next) !== JSON.stringify(record))
      o.log.info({ buildId: next?.buildId ?? null, tenants: next?.tenants ?? [] }, 'rollout read');
    record = next;
  };
  void (async () => {
    while (!stopped) {
      await read().catch((err: unknown) => o.log.debug({ err }, 'rollout not read; reading again'));
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 2000));
    }
  })();
  return {
    pinFor(tenantId) {
      if (!record?.tenants.includes(tenantId)) return undefined;
      return { pinnedTo: { deploymentName: o.deployment, buildId: record.buildId } };
    },
    stop() {
      stopped = true;
    },
  };
}
