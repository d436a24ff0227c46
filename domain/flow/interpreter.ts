import { FLOW_STEP_LIMIT } from '../history-ceilings';
import type { FlowDefinition } from './definition';
import { HANDLERS, NodeEnd, type NodeContext } from './handlers';
import { runPlayList, startsPlayList } from './play-list';
import type { FlowPorts, LoadedFlow } from './ports';

/**
 * Node visits per call before the flow is stopped: validation forbids busy loops, this bounds the rest (a
 * caller going round a menu), and with it the call's history (HISTORY_CEILINGS.FlowCallWorkflow).
 */
export const MAX_STEPS = FLOW_STEP_LIMIT;
/** Subflows calling subflows: validation forbids recursion among published flows, this bounds the rest. */
export const MAX_SUBFLOW_DEPTH = 8;

export interface FlowStep {
  nodeId: string;
  type: string;
  enteredAt: string;
  /** How the node was left; absent for the node the call is in or ended in. */
  exit?: string;
  /** Set for nodes of a subflow: which flow and version they belong to. */
  flow?: { id: string; version: number };
  /** What the node produced that a supervisor wants to see: an HTTP status, a recording id. */
  detail?: Record<string, string>;
}

/** The interpreter's state, read by the status query while it runs. */
export interface FlowRun {
  variables: Record<string, string>;
  path: FlowStep[];
  currentNode?: string;
  /** Told of each node entered (events); not part of the state. */
  onEnter?: (step: FlowStep) => void;
  /** How the flow ended: a hangup node, or it ran out of nodes (a missing edge or `return` at the top). */
  ending?: 'hangup_node' | 'end_of_flow';
  /**
   * Variables declared secret by the flow or by any subflow it ran: what queries, the simulator and the API
   * show of them is `***`. Not part of the state either (only what is shown depends on it).
   */
  secrets?: Set<string>;
}

/** The variables as anyone but the call itself sees them: secret ones (of the flow and its subflows) masked. */
export function shownVariables(run: FlowRun, definition: FlowDefinition): Record<string, string> {
  const secrets = new Set(run.secrets);
  for (const v of definition.variables) if (v.secret) secrets.add(v.name);
  return Object.fromEntries(Object.entries(run.variables).map(([k, v]) => [k, secrets.has(k) ? '***' : v]));
}

/** The flow cannot go on: a limit was reached or a node cannot run. Not worth retrying. */
export class FlowTooLong extends Error {
  constructor(readonly reason: string) {
    super(`flow stopped: ${reason}`);
    this.name = 'FlowTooLong';
  }
}

/** The variables a call starts with: the system's and the flow's declared initial values. */
export function initialVariables(
  definition: FlowDefinition,
  system: { from: string; to: string; callId: string; tenantId: string },
): Record<string, string> {
  return {
    'caller.number': system.from,
    'caller.name': '',
    'call.to': system.to,
    'call.id': system.callId,
    'tenant.id': system.tenantId,
    ...Object.fromEntries(definition.variables.map((v) => [v.name, v.initial ?? ''])),
  };
}

/**
 * Runs a flow node by node until it hangs up or returns. Shared by real calls (inside the workflow) and
 * the simulator; everything that touches the world goes through `ports`, so both take the same path.
 * The parameters must be normalized (flow/normalize.ts). Returns how the flow left: `returned` when a
 * subflow gives control back to its caller.
 */
export async function runFlow(
  flow: LoadedFlow,
  ports: FlowPorts,
  run: FlowRun,
  depth = 0,
): Promise<'hung_up' | 'returned'> {
  const { definition } = flow;
  for (const v of definition.variables) if (v.secret) (run.secrets ??= new Set()).add(v.name);
  const nodes = new Map(definition.nodes.map((n) => [n.id, n]));
  const edges = new Map(definition.edges.map((e) => [`${e.from}:${e.exit}`, e.to]));
  const context: Omit<NodeContext, 'connected'> = {
    ports,
    flow: { id: flow.id, version: flow.version },
    variables: run.variables,
    runSubflow: async (flowId, version) => {
      if (depth + 1 > MAX_SUBFLOW_DEPTH) throw new FlowTooLong(`${MAX_SUBFLOW_DEPTH} nested subflows`);
      const sub = await ports.loadFlow(flowId, version);
      return runFlow(sub, ports, run, depth + 1);
    },
  };
  for (let nodeId: string | undefined = definition.start; nodeId;) {
    // Only when the ports ask: real calls' workflow code runs exactly as it did (replay).
    if (ports.pace) await ports.pace();
    const maxSteps = ports.maxSteps ?? MAX_STEPS;
    if (run.path.length >= maxSteps) throw new FlowTooLong(`${maxSteps} nodes run`);
    const node = nodes.get(nodeId)!;
    if (ports.playList && startsPlayList(node)) {
      const scope = { nodes, edges, flow: context.flow, ports, run, depth, maxSteps };
      const listed = await runPlayList(nodeId, ports.playList.bind(ports), scope);
      if (listed !== 'unplanned') {
        nodeId = listed.next;
        continue;
      }
    }
    const step: FlowStep = { nodeId, type: node.type, enteredAt: ports.now().toISOString() };
    if (depth > 0) step.flow = { id: flow.id, version: flow.version };
    run.path.push(step);
    run.currentNode = nodeId;
    run.onEnter?.(step);
    const handler = HANDLERS[node.type];
    if (!handler) throw new FlowTooLong(`node ${nodeId}: a ${node.type} node cannot run yet`);
    const from = nodeId;
    const result = await handler(node.params, {
      ...context,
      step,
      connected: (exit) => edges.has(`${from}:${exit}`),
    });
    if (result === NodeEnd.HungUp) {
      run.ending ??= 'hangup_node';
      return 'hung_up';
    }
    if (result === NodeEnd.Returned) return depth > 0 ? 'returned' : endOfFlow(ports, run);
    step.exit = result;
    nodeId = edges.get(`${nodeId}:${result}`);
  }
  // Validation requires every exit to lead somewhere; a subflow's unconnected end returns to its caller.
  return depth > 0 ? 'returned' : endOfFlow(ports, run);
}

async function endOfFlow(ports: FlowPorts, run: FlowRun): Promise<'hung_up'> {
  run.ending ??= 'end_of_flow';
  await ports.hangup('normal');
  return 'hung_up';
}
