/**
 * Asterisk nodes: which Asterisk a channel lives on decides where its ARI commands go. Pure functions,
 * shared by the workflow sandbox (to address a node's task queue), the worker, the bridge and the gateway.
 */

/** One Asterisk: a name that is a NATS subject token (the ARI stream's `ari.<node>.…`) and its ARI. */
export interface AsteriskNode {
  readonly name: string;
  readonly url: string;
  readonly user: string;
  readonly password: string;
}

/**
 * The task queue of a node's ARI activities: only a worker connected to that Asterisk polls it, so a
 * command for a channel never reaches another Asterisk. Prefixed with the call task queue so that
 * separate deployments (and test runs) in one namespace stay apart.
 */
export const ariTaskQueue = (callTaskQueue: string, node: string): string => `${callTaskQueue}-ari-${node}`;

const NODE_NAME = /^[A-Za-z0-9_-]+$/;

export class AsteriskNodesError extends Error {
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`ASTERISK_NODES entry "${entry}": ${reason}`);
    this.name = 'AsteriskNodesError';
  }
}

/**
 * Parses `ast1=http://127.0.0.1:8088,ast2=http://user:secret@10.0.0.2:8088`. Credentials in a URL win
 * over the shared ARI user; names must be unique. The first node is the primary: calls of workflows
 * started before node queues existed keep being served by it.
 */
export function parseAsteriskNodes(
  spec: string,
  defaults: { user: string; password: string },
): readonly AsteriskNode[] {
  const nodes: AsteriskNode[] = [];
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = entry.indexOf('=');
    if (at < 1) throw new AsteriskNodesError(entry, 'expected <name>=<ARI URL>');
    const name = entry.slice(0, at);
    if (!NODE_NAME.test(name)) throw new AsteriskNodesError(entry, 'a name is letters, digits, _ and -');
    if (nodes.some((n) => n.name === name)) throw new AsteriskNodesError(entry, 'name used twice');
    let url: URL;
    try {
      url = new URL(entry.slice(at + 1));
    } catch {
      throw new AsteriskNodesError(entry, 'not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AsteriskNodesError(entry, 'ARI is http or https');
    }
    const user = url.username ? decodeURIComponent(url.username) : defaults.user;
    const password = url.password ? decodeURIComponent(url.password) : defaults.password;
    url.username = '';
    url.password = '';
    nodes.push({ name, url: url.toString().replace(/\/$/, ''), user, password });
  }
  if (!nodes.length) throw new AsteriskNodesError(spec, 'no node');
  return nodes;
}

/**
 * The failure type of every command for a channel on a node declared lost (its site gone for good): the
 * channel went with its Asterisk. Workflows treat it as a vanished channel, and a call it ends is recorded as
 * ended by the system.
 */
export const NODE_LOST_FAILURE = 'NodeLost';

/** Whether `name` could be a node's name (a NATS subject token). */
export const isNodeName = (name: string): boolean => NODE_NAME.test(name);
