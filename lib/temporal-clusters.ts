/**
 * Temporal's clusters as CTICloud sees them, and namespace failover: forced (the namespace's active cluster
 * changed at once, whatever the other cluster has not replicated yet) or graceful (the server's own
 * `namespace-handover` workflow: waits until the target has caught up within the allowed lag, blocks the
 * namespace briefly, moves it). Used by `npm run failover` and the platform API.
 */
import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { LOST_NODES_KEY, parseLostNodes, setLostNodes } from './sites/lost-nodes';

const ReplicationState = temporal.api.enums.v1.ReplicationState;

export interface ClusterInfo {
  name: string;
  address: string;
  connected: boolean;
  initialFailoverVersion: number;
}

export interface NamespaceReplication {
  namespace: string;
  global: boolean;
  activeCluster: string;
  clusters: string[];
  failoverVersion: number;
  /** `handover` while a graceful failover blocks the namespace. */
  state: 'normal' | 'handover' | 'unspecified';
  /** Its Asterisk nodes declared lost for good (lib/sites/lost-nodes.ts). */
  lostNodes: string[];
}

/** A failover that cannot be done as asked; the API answers it as a 409 or 400. */
export class FailoverError extends Error {
  constructor(
    message: string,
    readonly context: { readonly namespace: string; readonly cluster: string },
  ) {
    super(message);
    this.name = 'FailoverError';
  }
}

/** Every cluster this one knows (itself included), with the address its frontend is reached at. */
export async function listClusters(connection: ConnectionLike): Promise<ClusterInfo[]> {
  const { clusters } = await connection.operatorService.listClusters({ pageSize: 100 });
  return (clusters ?? []).map((c) => ({
    name: c.clusterName ?? '',
    address: c.address ?? '',
    connected: !!c.isConnectionEnabled,
    initialFailoverVersion: Number(c.initialFailoverVersion ?? 0),
  }));
}

export async function describeReplication(
  connection: ConnectionLike,
  namespace: string,
): Promise<NamespaceReplication> {
  const d = await connection.workflowService.describeNamespace({ namespace });
  const state = d.replicationConfig?.state;
  return {
    namespace,
    global: !!d.isGlobalNamespace,
    activeCluster: d.replicationConfig?.activeClusterName ?? '',
    clusters: (d.replicationConfig?.clusters ?? []).map((c) => c.clusterName ?? ''),
    failoverVersion: Number(d.failoverVersion ?? 0),
    state:
      state === ReplicationState.REPLICATION_STATE_HANDOVER
        ? 'handover'
        : state === ReplicationState.REPLICATION_STATE_NORMAL
          ? 'normal'
          : 'unspecified',
    lostNodes: parseLostNodes(d.namespaceInfo?.data?.[LOST_NODES_KEY]),
  };
}

export interface FailoverRequest {
  namespace: string;
  /** The cluster that becomes active. */
  cluster: string;
  mode: 'forced' | 'graceful';
  /**
   * Graceful only: how far (seconds) the target may lag behind before the handover starts (the server allows
   * 5 to 120). @default 5
   */
  allowedLagSeconds?: number;
}

export interface FailoverResult extends NamespaceReplication {
  previousActiveCluster: string;
  /** Command sent → the namespace reported active on the target, through `connection`. */
  tookMs: number;
}

/**
 * Moves a global namespace's active cluster. `connection` is to any cluster that is up: a forced failover
 * is written there (the only way when the active cluster is down); a graceful one runs on the active cluster,
 * reached at the address cluster metadata gives for it.
 */
export async function failover(
  connection: ConnectionLike,
  request: FailoverRequest,
): Promise<FailoverResult> {
  const { namespace, cluster } = request;
  const t0 = Date.now();
  const before = await describeReplication(connection, namespace);
  if (!before.global) throw new FailoverError(`namespace ${namespace} is not global`, request);
  if (!before.clusters.includes(cluster)) {
    throw new FailoverError(
      `cluster ${cluster} is not one of namespace ${namespace}'s clusters (${before.clusters.join(', ')})`,
      request,
    );
  }
  // A graceful failover needs both clusters up: a node declared lost came back with its site.
  if (request.mode === 'graceful' && before.lostNodes.length) await setLostNodes(connection, namespace, []);
  if (before.activeCluster !== cluster) {
    if (request.mode === 'forced') {
      await connection.workflowService.updateNamespace({
        namespace,
        replicationConfig: { activeClusterName: cluster },
      });
    } else {
      await handover(connection, before.activeCluster, request);
    }
  }
  // Until the cluster this connection reaches says so (it may be the other one, learning by replication).
  for (;;) {
    const now = await describeReplication(connection, namespace);
    if (now.activeCluster === cluster && now.state !== 'handover') {
      return { ...now, previousActiveCluster: before.activeCluster, tookMs: Date.now() - t0 };
    }
    if (Date.now() - t0 > 120_000) {
      throw new FailoverError(
        `namespace ${namespace} still active on ${now.activeCluster} after 120 s`,
        request,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The server's `namespace-handover` workflow, in `temporal-system` on the active cluster. */
async function handover(connection: ConnectionLike, activeCluster: string, request: FailoverRequest) {
  const active = (await listClusters(connection)).find((c) => c.name === activeCluster);
  if (!active) throw new FailoverError(`the active cluster ${activeCluster} is unknown here`, request);
  const activeConnection = await Connection.connect({ address: active.address, connectTimeout: 5000 });
  try {
    const system = new Client({ connection: activeConnection, namespace: 'temporal-system' });
    const handle = await system.workflow.start('namespace-handover', {
      taskQueue: 'default-worker-tq',
      workflowId: `cticloud-handover-${request.namespace}-${Date.now()}`,
      // The Go struct's field names (service/worker/migration/handover_workflow.go).
      args: [
        {
          Namespace: request.namespace,
          RemoteCluster: request.cluster,
          AllowedLaggingSeconds: request.allowedLagSeconds ?? 5,
          HandoverTimeoutSeconds: 30,
        },
      ],
    });
    await handle.result();
  } finally {
    await activeConnection.close();
  }
}
