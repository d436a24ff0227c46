import { WorkBudget, WorkBudgetExceeded } from '../work-budget';
import { SYSTEM_VARIABLES, FlowDefinition } from './definition';
import { nodeSpec } from './registry';
import { loopsWithoutInput, unsetReads, type CheckedNode } from './validate-graph';

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
  /** Checking that variables are set would take more than the validation's work budget. */
  TooComplex: 'too_complex',
  /** The last entry when there are more than MAX_PROBLEMS: how many more are not listed. */
  TooMany: 'too_many_problems',
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
  /**
   * What checking that variables are set may spend (see unsetReads): validation runs on the gateway's event
   * loop. @default a budget of {@link MAX_VALIDATION_WORK}
   */
  budget?: WorkBudget;
}

/**
 * Units of work the variable check may spend, ~30 ms of it: a 500-node flow setting 50 variables in each node
 * spends about 1.2 million (docs/benchmarks.md). Only loops nested in ways no IVR needs, over thousands of
 * variables, take more sweeps than this allows.
 */
export const MAX_VALIDATION_WORK = 5_000_000;

/**
 * Problems listed at most, plus an entry saying how many more there are. A 700 KB draft of invalid `set` nodes
 * had 50,000 (7.6 MB of JSON, ~0.5 s to build and send, issue #13); the first ones are the ones to fix.
 */
export const MAX_PROBLEMS = 1000;

/**
 * Every problem of a flow at once (up to {@link MAX_PROBLEMS}), each with its node and path: what the designer
 * shows on the canvas.
 */
export function validateFlow(input: unknown, options: ValidateOptions = {}): FlowProblem[] {
  const parsed = FlowDefinition.safeParse(input);
  if (!parsed.success) {
    return capped(
      parsed.error.issues.map((i) => ({
        code: ProblemCode.Invalid,
        path: i.path.join('.'),
        message: i.message,
      })),
      0,
    );
  }
  const flow = parsed.data;
  const problems: FlowProblem[] = [];
  const nodes = new Map<string, CheckedNode>();
  // Once there are more problems than are listed, the other nodes' parameters are not parsed: that was the work.
  let unchecked = 0;

  flow.nodes.forEach((node, index) => {
    const path = `nodes.${index}`;
    if (problems.length > MAX_PROBLEMS) {
      unchecked++;
      return;
    }
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

  const ids = new Set(flow.nodes.map((n) => n.id));
  const next = new Map<string, Map<string, string>>();
  flow.edges.forEach((edge, index) => {
    const path = `edges.${index}`;
    const from = nodes.get(edge.from);
    const known = (id: string) => ids.has(id);
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

  // Appended, not pushed as arguments: a megabyte of reads gave more than push takes at once.
  const add = (more: FlowProblem[]) => more.forEach((p) => problems.push(p));
  add(busyLoops(nodes, successors));
  // Only as many as can be listed are made into problems; the others are counted.
  const room = MAX_PROBLEMS + 1 - problems.length;
  const reads = readsBeforeSet(flow, nodes, next, reachable, room, options.budget);
  add(reads.problems);
  add(subflowRecursion(nodes, options));
  if (options.references) add(missingReferences(nodes, options.references));
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
  return capped(problems, unchecked, reads.unlisted);
}

/** The first MAX_PROBLEMS problems, and an entry for the rest when there are more. */
function capped(problems: FlowProblem[], unchecked: number, unlisted = 0): FlowProblem[] {
  if (problems.length <= MAX_PROBLEMS && unchecked === 0 && unlisted === 0) return problems;
  const more = Math.max(0, problems.length - MAX_PROBLEMS) + unlisted;
  const notChecked = unchecked ? `; the parameters of ${unchecked} more nodes were not checked` : '';
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    {
      code: ProblemCode.TooMany,
      path: '',
      message: `${more} more problems are not listed${notChecked}: fix these first`,
    },
  ];
}

/** Cycles in which no node waits for the caller. */
function busyLoops(nodes: Map<string, CheckedNode>, successors: (id: string) => string[]): FlowProblem[] {
  return loopsWithoutInput(nodes, successors).map((component) => {
    const first = nodes.get(component[0]!)!;
    return {
      code: ProblemCode.BusyLoop,
      nodeId: first.id,
      path: `nodes.${first.index}`,
      message: `loop ${component.join(' → ')} never waits for the caller`,
    };
  });
}

/** Reads of variables that are not set on every path to the node: the first `room` as problems. */
function readsBeforeSet(
  flow: FlowDefinition,
  nodes: Map<string, CheckedNode>,
  next: Map<string, Map<string, string>>,
  reachable: Set<string>,
  room: number,
  budget = new WorkBudget('checking that variables are set', MAX_VALIDATION_WORK),
): { problems: FlowProblem[]; unlisted: number } {
  const always = new Set<string>([...SYSTEM_VARIABLES, ...flow.variables.map((v) => v.name)]);
  try {
    const { unset, count } = unsetReads(
      flow.start,
      nodes,
      next,
      reachable,
      always,
      budget,
      Math.max(0, room),
    );
    const problems = unset.map(({ node, variable }) => ({
      code: ProblemCode.ReadBeforeSet,
      nodeId: node.id,
      path: `nodes.${node.index}.params`,
      message: `${node.id} reads ${variable}, which is not set on every path to it`,
    }));
    return { problems, unlisted: count - unset.length };
  } catch (err) {
    if (!(err instanceof WorkBudgetExceeded)) throw err;
    const problem = {
      code: ProblemCode.TooComplex,
      path: 'nodes',
      message: `checking that variables are set takes more than ${err.limit} units of work: use fewer variables or fewer loops`,
    };
    return { problems: [problem], unlisted: 0 };
  }
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
