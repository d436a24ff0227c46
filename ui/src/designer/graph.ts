import { nodeSpec } from '../../../domain/flow/registry';
import type { FlowDefinition, FlowEdge, FlowNode } from './types';

/**
 * Pure graph edits of a flow definition: the editor's store calls these, and the unit tests check them
 * without a browser. Every function returns a new definition and leaves its input alone.
 */

/** The node's exits for its current params; a draft whose params do not parse yet keeps what it can. */
export function exitsOf(node: Pick<FlowNode, 'type' | 'params'>): string[] {
  const spec = nodeSpec(node.type);
  if (!spec) return [];
  const parsed = spec.params.safeParse(node.params);
  if (parsed.success) return spec.exits(parsed.data);
  // A menu with one bad option still has exits for the good ones, so its edges do not vanish while typing.
  try {
    return spec.exits(node.params as never);
  } catch {
    return [];
  }
}

/** `play`, `play_2`, `play_3`, …: readable ids that fit the definition's id rule. */
export function newNodeId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(type)) return type;
  for (let n = 2; ; n++) if (!used.has(`${type}_${n}`)) return `${type}_${n}`;
}

export function emptyDefinition(): FlowDefinition {
  return {
    schemaVersion: 1,
    start: 'hangup',
    nodes: [{ id: 'hangup', type: 'hangup', params: { reason: 'normal' }, position: { x: 0, y: 0 } }],
    edges: [],
    variables: [],
  };
}

export function addNode(def: FlowDefinition, node: FlowNode): FlowDefinition {
  // A flow needs a start: the first real node becomes it when the start is gone.
  const start = def.nodes.some((n) => n.id === def.start) ? def.start : node.id;
  return { ...def, start, nodes: [...def.nodes, node] };
}

export function removeNodes(def: FlowDefinition, ids: readonly string[]): FlowDefinition {
  const gone = new Set(ids);
  const nodes = def.nodes.filter((n) => !gone.has(n.id));
  if (nodes.length === 0) return def; // a definition has at least one node
  return {
    ...def,
    nodes,
    edges: def.edges.filter((e) => !gone.has(e.from) && !gone.has(e.to)),
    start: gone.has(def.start) ? nodes[0]!.id : def.start,
  };
}

export const edgeKey = (e: Pick<FlowEdge, 'from' | 'exit'>): string => `${e.from}:${e.exit}`;

export function removeEdges(def: FlowDefinition, keys: readonly string[]): FlowDefinition {
  const gone = new Set(keys);
  return { ...def, edges: def.edges.filter((e) => !gone.has(edgeKey(e))) };
}

/** An exit leads to one node: connecting it again replaces the old edge. */
export function connect(def: FlowDefinition, edge: FlowEdge): FlowDefinition {
  const from = def.nodes.find((n) => n.id === edge.from);
  if (!from || !def.nodes.some((n) => n.id === edge.to) || !exitsOf(from).includes(edge.exit)) return def;
  return { ...def, edges: [...def.edges.filter((e) => edgeKey(e) !== edgeKey(edge)), edge] };
}

export function updateNode(def: FlowDefinition, id: string, patch: Partial<FlowNode>): FlowDefinition {
  const nodes = def.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n));
  const node = nodes.find((n) => n.id === id);
  if (!node || patch.params === undefined) return { ...def, nodes };
  // An exit that no longer exists (a menu option removed) takes its edge with it.
  const exits = new Set(exitsOf(node));
  const before = def.nodes.find((n) => n.id === id)!;
  const hadExits = new Set(exitsOf(before));
  const edges = def.edges.filter((e) => e.from !== id || exits.has(e.exit) || !hadExits.has(e.exit));
  return { ...def, nodes, edges };
}

export function moveNodes(
  def: FlowDefinition,
  moves: ReadonlyMap<string, FlowNode['position']>,
): FlowDefinition {
  return {
    ...def,
    nodes: def.nodes.map((n) => (moves.has(n.id) ? { ...n, position: moves.get(n.id)! } : n)),
  };
}

/** Nodes and the edges among them: what Ctrl+C keeps. */
export interface Clip {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export function copyNodes(def: FlowDefinition, ids: readonly string[]): Clip {
  const set = new Set(ids);
  return {
    nodes: structuredClone(def.nodes.filter((n) => set.has(n.id))),
    edges: def.edges.filter((e) => set.has(e.from) && set.has(e.to)),
  };
}

/** Pastes a clip with fresh ids, shifted so it does not hide the original; returns the new ids too. */
export function pasteClip(
  def: FlowDefinition,
  clip: Clip,
  offset = { x: 40, y: 40 },
): { definition: FlowDefinition; ids: string[] } {
  const taken = new Set(def.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const node of clip.nodes) {
    const id = newNodeId(node.type, taken);
    taken.add(id);
    rename.set(node.id, id);
  }
  const nodes = clip.nodes.map((n) => ({
    ...structuredClone(n),
    id: rename.get(n.id)!,
    position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
  }));
  const edges = clip.edges.map((e) => ({ ...e, from: rename.get(e.from)!, to: rename.get(e.to)! }));
  return {
    definition: { ...def, nodes: [...def.nodes, ...nodes], edges: [...def.edges, ...edges] },
    ids: nodes.map((n) => n.id),
  };
}

/** What changed from version `a` to version `b`. */
export interface FlowDiff {
  added: string[];
  removed: string[];
  /** Nodes in both whose type, label or params differ (moving a node is not a change). */
  changed: { id: string; fields: string[] }[];
  edgesAdded: FlowEdge[];
  edgesRemoved: FlowEdge[];
  startChanged: { from: string; to: string } | null;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function diffDefinitions(a: FlowDefinition, b: FlowDefinition): FlowDiff {
  const before = new Map(a.nodes.map((n) => [n.id, n]));
  const after = new Map(b.nodes.map((n) => [n.id, n]));
  const changed: FlowDiff['changed'] = [];
  for (const [id, node] of after) {
    const old = before.get(id);
    if (!old) continue;
    const fields = (['type', 'label'] as const).filter((f) => old[f] !== node[f]) as string[];
    const keys = new Set([...Object.keys(old.params), ...Object.keys(node.params)]);
    for (const key of [...keys].sort())
      if (!same(old.params[key], node.params[key])) fields.push(`params.${key}`);
    if (fields.length) changed.push({ id, fields });
  }
  const edgeSet = (d: FlowDefinition) => new Set(d.edges.map((e) => `${edgeKey(e)}>${e.to}`));
  const ea = edgeSet(a);
  const eb = edgeSet(b);
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed,
    edgesAdded: b.edges.filter((e) => !ea.has(`${edgeKey(e)}>${e.to}`)),
    edgesRemoved: a.edges.filter((e) => !eb.has(`${edgeKey(e)}>${e.to}`)),
    startChanged: a.start === b.start ? null : { from: a.start, to: b.start },
  };
}
