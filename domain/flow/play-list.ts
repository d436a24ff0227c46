/**
 * Play lists (issue #14, E in docs/design-call-path.md): from a `play` or `say` node, the interpreter runs
 * ahead through the media and logic nodes that follow, on a copy of the variables, and plays all their
 * media in one media step. Asterisk then goes from one node's prompt to the next with no gap of its own
 * (one step per node cost a workflow task and an activity dispatch between prompts). Only nodes that do not
 * touch the world are run ahead: their exits and variables come out the same whenever they run. What the
 * call shows afterwards (path, variables, events) is what it was with a step per node, up to the node the
 * caller reached: a caller hanging up in the third prompt leaves the path at the third node.
 */
import { HANDLERS, type NodeContext } from './handlers';
import type { FlowRun, FlowStep } from './interpreter';
import type { FlowDefinition } from './definition';
import { CallerHungUp, type FlowPorts, type MediaItem } from './ports';

type FlowNode = FlowDefinition['nodes'][number];

/** Nodes whose media goes in a list. */
const MEDIA_NODES: ReadonlySet<string> = new Set(['play', 'say']);
/** Nodes run ahead between them: they only read and write variables. */
const LOGIC_NODES: ReadonlySet<string> = new Set(['set', 'branch']);
/**
 * Nodes in one list at most: bounds the work run ahead and how much is replayed when the media step is
 * retried. @default 16
 */
export const MAX_PLAY_LIST_NODES = 16;

interface Planned {
  node: FlowNode;
  exit: string;
  /** The variables once the node ran. */
  variables: Record<string, string>;
  detail?: Record<string, string>;
  /** Index in the list's segments, and what the node plays, for media nodes. */
  segment?: number;
  items: MediaItem[];
}

export interface PlayListScope {
  nodes: ReadonlyMap<string, FlowNode>;
  edges: ReadonlyMap<string, string>;
  flow: { id: string; version: number };
  ports: FlowPorts;
  run: FlowRun;
  /** Subflow depth: steps inside a subflow name their flow. */
  depth: number;
  maxSteps: number;
}

/** A node a play list may start from: media ready to play (TTS and recordings are prepared by a step first). */
export function startsPlayList(node: FlowNode): boolean {
  return MEDIA_NODES.has(node.type);
}

/** A prompt that needs preparing (synthesis, staging) before Asterisk can play it: ends a list before it. */
function needsPreparing(node: FlowNode): boolean {
  const prompt = (node.params as { prompt?: { kind?: string } }).prompt;
  return prompt?.kind === 'tts' || prompt?.kind === 'recording';
}

async function plan(startId: string, scope: PlayListScope, limit: number): Promise<Planned[]> {
  const { nodes, edges, flow, ports, run } = scope;
  const variables = { ...run.variables };
  const planned: Planned[] = [];
  let segments = 0;
  for (let id: string | undefined = startId; id && planned.length < limit;) {
    const node = nodes.get(id)!;
    const media = MEDIA_NODES.has(node.type);
    if (!media && !LOGIC_NODES.has(node.type)) break;
    if (planned.some((p) => p.node.id === id)) break;
    if (media && planned.length > 0 && needsPreparing(node)) break;
    const items: MediaItem[] = [];
    // The node's own handler, with a play that records instead of playing: the same media, the same rules.
    const recording: FlowPorts = Object.assign(Object.create(ports) as FlowPorts, {
      play: async (m: MediaItem[]) => void items.push(...m),
    });
    const step: FlowStep = { nodeId: id, type: node.type, enteredAt: '' };
    const from = id;
    const context: NodeContext & { step: FlowStep } = {
      ports: recording,
      flow,
      variables,
      runSubflow: () => Promise.reject(new Error('no subflow in a play list')),
      connected: (exit) => edges.has(`${from}:${exit}`),
      step,
    };
    const exit = await HANDLERS[node.type]!(node.params, context);
    planned.push({
      node,
      exit,
      variables: { ...variables },
      detail: step.detail,
      segment: media ? segments++ : undefined,
      items,
    });
    id = edges.get(`${id}:${exit}`);
  }
  return planned;
}

/**
 * Runs a play list from `startId` when at least two media nodes follow each other there; returns the node
 * to go on with (undefined at the end of the flow), or `unplanned` when the node runs on its own.
 * Throws CallerHungUp, with the path kept up to the node the caller was in.
 */
export async function runPlayList(
  startId: string,
  playList: NonNullable<FlowPorts['playList']>,
  scope: PlayListScope,
): Promise<{ next: string | undefined } | 'unplanned'> {
  const { ports, run, flow, depth, edges } = scope;
  const limit = Math.min(MAX_PLAY_LIST_NODES, scope.maxSteps - run.path.length);
  const planned = await plan(startId, scope, limit);
  const segments = planned.filter((p) => p.segment !== undefined).length;
  if (segments < 2) return 'unplanned';

  const stepOf = (p: Planned, enteredAt: string): FlowStep => {
    const step: FlowStep = { nodeId: p.node.id, type: p.node.type, enteredAt };
    if (depth > 0) step.flow = flow;
    if (p.detail) step.detail = p.detail;
    return step;
  };
  // The first node is where the call is while the list plays (status query, events).
  const first = stepOf(planned[0]!, ports.now().toISOString());
  run.path.push(first);
  run.currentNode = first.nodeId;
  run.onEnter?.(first);

  const result = await playList(planned.filter((p) => p.segment !== undefined).map((p) => p.items));
  const hungUp = result.reached < segments;

  // Commit the nodes the caller reached: every node up to the media node playing at the end.
  let reachedIndex = planned.length - 1;
  if (hungUp) reachedIndex = planned.findIndex((p) => p.segment === result.reached);
  const finishedAt = ports.now().toISOString();
  const startOf = (i: number): string => {
    // A logic node ran just before the media node after it.
    for (let j = i; j < planned.length; j++) {
      const s = planned[j]!.segment;
      if (s !== undefined) return result.startedAt[s] ?? finishedAt;
    }
    return finishedAt;
  };
  let step = first;
  for (let i = 0; i <= reachedIndex; i++) {
    const p = planned[i]!;
    if (i > 0) {
      step = stepOf(p, startOf(i));
      run.path.push(step);
      run.currentNode = step.nodeId;
      run.onEnter?.(step);
    }
    if (!(hungUp && i === reachedIndex)) step.exit = p.exit;
  }
  // A media node changes no variable: those after the node reached are those the caller got to.
  Object.assign(run.variables, planned[reachedIndex]!.variables);
  if (hungUp) throw new CallerHungUp();
  const last = planned[reachedIndex]!;
  return { next: edges.get(`${last.node.id}:${last.exit}`) };
}
