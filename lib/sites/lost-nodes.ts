/**
 * Asterisk nodes declared lost for good (their site will not come back), kept in the Temporal namespace's
 * own data: it replicates with the namespace between clusters, so the survivor that runs the namespace and
 * the lost site (should it return) read the same record, and no second store can disagree with Temporal
 * about who serves what. The survivor's worker answers a lost node's task queue (workers/lost-nodes.ts).
 */
import type { ConnectionLike } from '@temporalio/client';
import { isNodeName } from '../../domain/asterisk-nodes';

/** The namespace data key; its value is the lost nodes' names, comma-separated ("" for none). */
export const LOST_NODES_KEY = 'cticloud.lost-nodes';

/** A declaration that cannot be made as asked; the API answers it as a 400 or 409. */
export class LostNodesError extends Error {
  constructor(
    message: string,
    readonly context: { readonly namespace: string; readonly nodes: readonly string[] },
  ) {
    super(message);
    this.name = 'LostNodesError';
  }
}

export function parseLostNodes(value: string | undefined | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(isNodeName);
}

/** The nodes of `namespace` declared lost, as the cluster at `connection` knows them. */
export async function lostNodesOf(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const d = await connection.workflowService.describeNamespace({ namespace });
  return parseLostNodes(d.namespaceInfo?.data?.[LOST_NODES_KEY]);
}

/**
 * Records `nodes` as the namespace's lost nodes (replacing the list; empty clears it). Temporal merges a
 * namespace's data key by key, so the one key is rewritten whole.
 */
export async function setLostNodes(
  connection: ConnectionLike,
  namespace: string,
  nodes: readonly string[],
): Promise<string[]> {
  const bad = nodes.filter((n) => !isNodeName(n));
  if (bad.length) throw new LostNodesError(`not node names: ${bad.join(', ')}`, { namespace, nodes });
  const unique = [...new Set(nodes)].sort();
  await connection.workflowService.updateNamespace({
    namespace,
    updateInfo: { data: { [LOST_NODES_KEY]: unique.join(',') } },
  });
  return unique;
}
