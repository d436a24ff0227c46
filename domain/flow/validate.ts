import { SYSTEM_VARIABLES, FlowDefinition } from './definition';
import { nodeSpec } from './registry';
import type { NodeSpec } from './nodes/spec';

export const ProblemCode = {
  Invalid: 'invalid',
  UnknownType: 'unknown_type',
  DuplicateNode: 'duplicate_node',
  MissingStart: 'missing_start',
  DanglingEdge: 'dangling_edge',
  UnknownExit: 'unknown_exit',
  DuplicateExit: 'duplicate_exit',
  MissingExit: 'missing_exit',
  Unreachable: 'unreachable',
  BusyLoop: 'busy_loop',
  ReadBeforeSet: 'read_before_set',
  SubflowRecursion: 'subflow_recursion',
  NotRunnable: 'not_runnable',
  UnknownRecording: 'unknown_recording',
  UnknownSubflow: 'unknown_subflow',
  UnknownQueue: 'unknown_queue',
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

export interface FlowProblem {
  code: ProblemCode;
  /** The node the problem is about, when there is one. */
  nodeId?: string;
  /** Where in the definition, e.g. `nodes.3.params.options.0.digit`. */
  path: string;
  message: string;
}

export interface ValidateOptions {
  /** This flow's id, to detect a subflow that leads back to it. */
  flowId?: string;
  /** The flow ids a published flow calls as subflows; undefined when the flow is unknown. */
  subflowsOf?: (flowId: string) => readonly string[] | undefined;
  /** Whether a node can run on a call yet; those that cannot are reported (publishing needs none). */
  runnable?: (type: string, params: Record<string, unknown>) => boolean;
  /** What the flow refers to must exist before it can be published: recordings, published subflows. */
  references?: {
    recordingExists(id: string): boolean;
    flowPublished(id: string): boolean;
    queueExists(id: string): boolean;
  };
}

interface CheckedNode {
  index: number;
  id: string;
  spec: NodeSpec;
  params: unknown;
  exits: string[];
}

/** Every problem of a flow at once, each with its node and path: what the designer shows on the canvas. */
export function validateFlow(input: unknown, options: ValidateOptions = {}): FlowProblem[] {
  const parsed = FlowDefinition.safeParse(input);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => ({
      code: ProblemCode.Invalid,
      path: i.path.join('.'),
      message: i.message,
    }));
  }
  const flow = parsed.data;
  const problems: FlowProblem[] = [];
  const nodes = new Map<string, CheckedNode>();

  flow.nodes.forEach((node, index) => {
    const path = `nodes.${index}`;
    if (nodes.has(node.id)) {
      problems.push({
        code: ProblemCode.DuplicateNode,
        nodeId: node.id,
        path: `${path}.id`,
        message: `node id ${node.id} is used twice`,
      });
      return;
    }
    const spec = nodeSpec(node.type);
    if (!spec) {
      problems.push({
        code: ProblemCode.UnknownType,
        nodeId: node.id,
        path: `${path}.type`,
        message: `unknown node type ${node.type}`,
      });
      return;
    }
    const params = spec.params.safeParse(node.params);
    if (!params.success) {
      for (const issue of params.error.issues) {
        problems.push({
          code: ProblemCode.Invalid,
          nodeId: node.id,
          path: [path, 'params', ...issue.path].join('.'),
          message: issue.message,
        });
      }
      return;
    }
    nodes.set(node.id, { index, id: node.id, spec, params: params.data, exits: spec.exits(params.data) });
  });

  if (!flow.nodes.some((n) => n.id === flow.start)) {
    problems.push({
      code: ProblemCode.MissingStart,
      path: 'start',
      message: `start node ${flow.start} does not exist`,
    });
  }

  const next = new Map<string, Map<string, string>>();
  flow.edges.forEach((edge, index) => {
    const path = `edges.${index}`;
    const from = nodes.get(edge.from);
    const known = (id: string) => flow.nodes.some((n) => n.id === id);
    if (!known(edge.from) || !known(edge.to)) {
      const missing = known(edge.from) ? edge.to : edge.from;
      problems.push({
        code: ProblemCode.DanglingEdge,
        nodeId: edge.from,
        path,
        message: `edge refers to missing node ${missing}`,
      });
      return;
    }
    if (!from) return; // the node itself is invalid and already reported
    if (!from.exits.includes(edge.exit)) {
      problems.push({
        code: ProblemCode.UnknownExit,
        nodeId: edge.from,
        path: `${path}.exit`,
        message: `${from.spec.type} node ${edge.from} has no exit ${edge.exit} (exits: ${from.exits.join(', ') || 'none'})`,
      });
      return;
    }
    const exits = next.get(edge.from) ?? new Map<string, string>();
    if (exits.has(edge.exit)) {
      problems.push({
        code: ProblemCode.DuplicateExit,
        nodeId: edge.from,
        path,
        message: `exit ${edge.exit} of ${edge.from} is connected twice`,
      });
      return;
    }
    exits.set(edge.exit, edge.to);
    next.set(edge.from, exits);
  });

  for (const node of nodes.values()) {
    const optional = node.spec.optionalExits?.(node.params) ?? [];
    for (const exit of node.exits) {
      if (!next.get(node.id)?.has(exit) && !optional.includes(exit)) {
        problems.push({
          code: ProblemCode.MissingExit,
          nodeId: node.id,
          path: `nodes.${node.index}`,
          message: `exit ${exit} of ${node.id} goes nowhere`,
        });
      }
    }
  }

  const successors = (id: string): string[] => [...(next.get(id)?.values() ?? [])];
  const reachable = new Set<string>();
  const stack = nodes.has(flow.start) ? [flow.start] : [];
  while (stack.length) {
    const id = stack.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    stack.push(...successors(id));
  }
  for (const node of nodes.values()) {
    if (!reachable.has(node.id)) {
      problems.push({
        code: ProblemCode.Unreachable,
        nodeId: node.id,
        path: `nodes.${node.index}`,
        message: `${node.id} cannot be reached from ${flow.start}`,
      });
    }
  }

  problems.push(...busyLoops(nodes, successors));
  const exitsBetween = (from: string, to: string): string[] =>
    [...(next.get(from)?.entries() ?? [])].filter(([, target]) => target === to).map(([exit]) => exit);
  problems.push(...readsBeforeSet(flow, nodes, successors, exitsBetween, reachable));
  problems.push(...subflowRecursion(nodes, options));
  if (options.references) problems.push(...missingReferences(nodes, options.references));
  if (options.runnable) {
    for (const node of nodes.values()) {
      if (!options.runnable(node.spec.type, node.params as Record<string, unknown>)) {
        problems.push({
          code: ProblemCode.NotRunnable,
          nodeId: node.id,
          path: `nodes.${node.index}`,
          message: `${node.spec.type} node ${node.id} cannot run on calls yet in this configuration`,
        });
      }
    }
  }
  return problems;
}

/** Cycles (Tarjan's strongly connected components) in which no node waits for the caller. */
function busyLoops(nodes: Map<string, CheckedNode>, successors: (id: string) => string[]): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  let counter = 0;
  const visit = (id: string): void => {
    index.set(id, counter);
    low.set(id, counter++);
    stack.push(id);
    onStack.add(id);
    for (const to of successors(id)) {
      if (!nodes.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(id, Math.min(low.get(id)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(id, Math.min(low.get(id)!, index.get(to)!));
      }
    }
    if (low.get(id) !== index.get(id)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== id);
    const cyclic = component.length > 1 || successors(id).includes(id);
    if (cyclic && !component.some((m) => nodes.get(m)!.spec.takesCallerInput)) {
      const first = nodes.get(component.sort()[0]!)!;
      problems.push({
        code: ProblemCode.BusyLoop,
        nodeId: first.id,
        path: `nodes.${first.index}`,
        message: `loop ${component.join(' → ')} never waits for the caller`,
      });
    }
  };
  for (const id of nodes.keys()) if (!index.has(id)) visit(id);
  return problems;
}

/** Must-be-set analysis: a variable is set at a node only if it is set on every path that reaches it. */
function readsBeforeSet(
  flow: FlowDefinition,
  nodes: Map<string, CheckedNode>,
  successors: (id: string) => string[],
  exitsBetween: (from: string, to: string) => string[],
  reachable: Set<string>,
): FlowProblem[] {
  // What a node sets when it is left by one of these exits (all of them must set it).
  const writesVia = (node: CheckedNode, exits: string[]): string[] => {
    const lists = exits.map(
      (exit) => node.spec.writesOn?.(node.params, exit) ?? node.spec.writes(node.params),
    );
    return (lists[0] ?? []).filter((v) => lists.every((l) => l.includes(v)));
  };
  const always = new Set<string>([...SYSTEM_VARIABLES, ...flow.variables.map((v) => v.name)]);
  const all = new Set<string>(always);
  for (const node of nodes.values()) {
    node.spec.writes(node.params).forEach((v) => all.add(v));
    node.exits.forEach((exit) => node.spec.writesOn?.(node.params, exit).forEach((v) => all.add(v)));
  }
  const setOnEntry = new Map<string, Set<string>>();
  for (const id of reachable) setOnEntry.set(id, id === flow.start ? new Set(always) : new Set(all));
  const predecessors = new Map<string, string[]>();
  for (const id of reachable)
    for (const to of successors(id)) predecessors.set(to, [...(predecessors.get(to) ?? []), id]);

  for (let changed = true; changed;) {
    changed = false;
    for (const id of reachable) {
      if (id === flow.start) continue;
      const sets = (predecessors.get(id) ?? []).map((p) => {
        const out = new Set(setOnEntry.get(p));
        const from = nodes.get(p);
        if (from) writesVia(from, exitsBetween(p, id)).forEach((v) => out.add(v));
        return out;
      });
      const entry = new Set([...all].filter((v) => sets.every((s) => s.has(v))));
      if (entry.size !== setOnEntry.get(id)!.size) {
        setOnEntry.set(id, entry);
        changed = true;
      }
    }
  }

  const problems: FlowProblem[] = [];
  for (const id of reachable) {
    const node = nodes.get(id);
    if (!node) continue;
    for (const variable of new Set(node.spec.reads(node.params))) {
      if (!setOnEntry.get(id)!.has(variable)) {
        problems.push({
          code: ProblemCode.ReadBeforeSet,
          nodeId: id,
          path: `nodes.${node.index}.params`,
          message: `${id} reads ${variable}, which is not set on every path to it`,
        });
      }
    }
  }
  return problems;
}

function subflowRecursion(nodes: Map<string, CheckedNode>, options: ValidateOptions): FlowProblem[] {
  if (!options.flowId) return [];
  const problems: FlowProblem[] = [];
  for (const node of nodes.values()) {
    if (node.spec.type !== 'subflow') continue;
    const target = (node.params as { flowId: string }).flowId;
    const seen = new Set<string>();
    const queue = [target];
    while (queue.length) {
      const flowId = queue.shift()!;
      if (flowId === options.flowId) {
        problems.push({
          code: ProblemCode.SubflowRecursion,
          nodeId: node.id,
          path: `nodes.${node.index}.params.flowId`,
          message: `subflow ${target} leads back to this flow`,
        });
        break;
      }
      if (seen.has(flowId)) continue;
      seen.add(flowId);
      queue.push(...(options.subflowsOf?.(flowId) ?? []));
    }
  }
  return problems;
}

/** Recordings played and subflows called that do not exist (yet): a call would fail on reaching them. */
function missingReferences(
  nodes: Map<string, CheckedNode>,
  references: NonNullable<ValidateOptions['references']>,
): FlowProblem[] {
  const problems: FlowProblem[] = [];
  for (const node of nodes.values()) {
    const visit = (value: unknown, path: string): void => {
      if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}.${i}`));
      else if (value && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        if (record.kind === 'recording' && typeof record.recordingId === 'string') {
          if (!references.recordingExists(record.recordingId)) {
            problems.push({
              code: ProblemCode.UnknownRecording,
              nodeId: node.id,
              path: `${path}.recordingId`,
              message: `recording ${record.recordingId} does not exist`,
            });
          }
          return;
        }
        for (const [key, v] of Object.entries(record)) visit(v, `${path}.${key}`);
      }
    };
    visit(node.params, `nodes.${node.index}.params`);
    const queueId = (node.params as { queueId?: unknown }).queueId;
    if ((node.spec.type === 'queue' || node.spec.type === 'callback') && typeof queueId === 'string') {
      if (!references.queueExists(queueId)) {
        problems.push({
          code: ProblemCode.UnknownQueue,
          nodeId: node.id,
          path: `nodes.${node.index}.params.queueId`,
          message: `queue ${queueId} does not exist`,
        });
      }
    }
    if (node.spec.type === 'subflow') {
      const target = (node.params as { flowId: string }).flowId;
      if (!references.flowPublished(target)) {
        problems.push({
          code: ProblemCode.UnknownSubflow,
          nodeId: node.id,
          path: `nodes.${node.index}.params.flowId`,
          message: `subflow ${target} has no published version`,
        });
      }
    }
  }
  return problems;
}
