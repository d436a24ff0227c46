import { ApplicationFailure } from '@temporalio/common';
import { NoLiveAsteriskNodeError, type AriNodes } from '../asterisk/nodes';
import { nodeLostFailure } from './lost-node';

export interface NodeActivityDeps {
  nodes: AriNodes;
}

/** The Asterisk a new outbound call (callback, campaign) is placed on: a live one, in turn. */
export async function pickLiveNode(nodes: AriNodes): Promise<string> {
  try {
    return await nodes.pick();
  } catch (err) {
    // Retryable: a node coming back is the usual end of this, and the call waits for it.
    if (err instanceof NoLiveAsteriskNodeError) throw ApplicationFailure.retryable(err.message, err.name);
    throw err;
  }
}

export function createNodeActivities({ nodes }: NodeActivityDeps) {
  return {
    /** The Asterisk a new outbound call (callback, campaign) is placed on: a live one, in turn. */
    liveAsteriskNode: (): Promise<string> => pickLiveNode(nodes),
  };
}

export type NodeActivities = ReturnType<typeof createNodeActivities>;

type ActivitySet = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * Several nodes' activity sets as one: each call runs in the set of the node its input names (a
 * `ChannelRef`'s `node`), the primary's when it names none. Serves local activities and the calls of
 * workflows that predate node task queues, which reach the call task queue rather than the node's. A call
 * for a node declared lost (`isLost`) fails as the lost node's own queue would answer it.
 */
export function routeByNode<T extends ActivitySet>(
  perNode: ReadonlyMap<string, T>,
  primary: string,
  isLost: (node: string) => boolean = () => false,
): T {
  const home = perNode.get(primary);
  if (!home) throw new Error(`primary node ${primary} has no activities`);
  const routed: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(home)) {
    routed[name] = async (...args: unknown[]) => {
      const node = (args[0] as { node?: unknown } | undefined)?.node;
      if (typeof node === 'string' && isLost(node)) throw nodeLostFailure(node);
      const set = typeof node === 'string' ? perNode.get(node) : home;
      if (!set) throw ApplicationFailure.retryable(`Asterisk node ${String(node)} is not configured here`);
      return (set[name] as unknown as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return routed as unknown as T;
}
