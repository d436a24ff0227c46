import type { AsteriskNode } from '../domain/asterisk-nodes';
import { AriCommands } from './ari-commands';
import { AriUnavailableError } from './ari-errors';
import { checkAri, connectAriPersistently } from './ari';

/** How long a node's answer to a liveness check stands, in ms. */
const LIVENESS_TTL_MS = 2000;
/** A node that does not answer this fast counts as down for new calls, in ms. */
const LIVENESS_TIMEOUT_MS = 1000;

export class UnknownAsteriskNodeError extends Error {
  constructor(readonly node: string) {
    super(`Asterisk node ${node} is not configured here (ASTERISK_NODES)`);
    this.name = 'UnknownAsteriskNodeError';
  }
}

export class NoLiveAsteriskNodeError extends Error {
  constructor(readonly nodes: readonly string[]) {
    super(`no Asterisk node answers (${nodes.join(', ')})`);
    this.name = 'NoLiveAsteriskNodeError';
  }
}

interface NodeState {
  readonly node: AsteriskNode;
  readonly connected: Promise<AriCommands>;
  commands?: AriCommands;
  checkedAt: number;
  alive: boolean;
}

/**
 * One ARI connection per configured Asterisk, made in the background so that a node that is down does not
 * hold up the others. New calls go to live nodes in turn; a channel's commands go to the node it lives on.
 */
export class AriNodes {
  private readonly states = new Map<string, NodeState>();
  private turn = 0;

  constructor(
    readonly nodes: readonly AsteriskNode[],
    private readonly onRetry: (node: string, err: Error, delayMs: number) => void,
    signal?: AbortSignal,
  ) {
    for (const node of nodes) {
      const state: NodeState = {
        node,
        checkedAt: 0,
        alive: false,
        connected: connectAriPersistently(node, (err, delay) => onRetry(node.name, err, delay), signal).then(
          (client) => (state.commands = new AriCommands(client)),
        ),
      };
      // A rejection (only when aborted) is seen by whoever awaits `connected`; none is left unhandled.
      state.connected.catch(() => undefined);
      this.states.set(node.name, state);
    }
  }

  /** The node calls of old workflows (no node in their activity input) are served by. */
  get primary(): AsteriskNode {
    return this.nodes[0]!;
  }

  /** Resolves once the node is connected. */
  connected(name: string): Promise<AriCommands> {
    return this.state(name).connected;
  }

  /** The node's commands; a node not connected yet throws (a retryable activity failure). */
  commands(name: string): AriCommands {
    const state = this.state(name);
    if (!state.commands) throw new AriUnavailableError(state.node.url, `node ${name} not connected yet`);
    return state.commands;
  }

  /**
   * The node's commands looked up at each call: activities can be built before the node connects, and a
   * command sent meanwhile fails as retryable rather than reaching another Asterisk.
   */
  lazyCommands(name: string): AriCommands {
    this.state(name);
    return new Proxy({} as AriCommands, {
      get: (_, property) => {
        const commands = this.commands(name);
        const value = Reflect.get(commands, property) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(commands) : value;
      },
    });
  }

  /**
   * A live node for a new call (callback, campaign): the configured nodes in turn, skipping any whose ARI
   * did not answer within a second. Liveness is checked at most every two seconds per node.
   */
  async pick(): Promise<string> {
    const names = this.nodes.map((n) => n.name);
    const alive = await Promise.all(names.map((name) => this.isAlive(name)));
    const live = names.filter((_, i) => alive[i]);
    if (!live.length) throw new NoLiveAsteriskNodeError(names);
    this.turn = (this.turn + 1) % live.length;
    return live[this.turn]!;
  }

  /** Whether the node answers ARI now (a check at most every LIVENESS_TTL_MS). */
  async isAlive(name: string): Promise<boolean> {
    const state = this.state(name);
    if (Date.now() - state.checkedAt < LIVENESS_TTL_MS) return state.alive;
    state.alive = await checkAri({ ...state.node, connectTimeoutMs: LIVENESS_TIMEOUT_MS }).then(
      () => true,
      () => false,
    );
    state.checkedAt = Date.now();
    return state.alive;
  }

  private state(name: string): NodeState {
    const state = this.states.get(name);
    if (!state) throw new UnknownAsteriskNodeError(name);
    return state;
  }
}
