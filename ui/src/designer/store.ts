import { createStore } from 'zustand/vanilla';
import * as graph from './graph';
import type { FlowDefinition, FlowEdge, FlowNode } from './types';

/** Undo keeps this many steps; a long session should not grow without bound. */
const HISTORY_LIMIT = 100;

export interface EditorState {
  definition: FlowDefinition;
  past: FlowDefinition[];
  future: FlowDefinition[];
  /** Selected node ids and edge keys (`from:exit`). */
  selected: string[];
  selectedEdges: string[];
  clipboard: graph.Clip | null;
  /** Edited since the last load or save. */
  dirty: boolean;
  load(definition: FlowDefinition): void;
  markSaved(): void;
  /** Records the current definition as an undo step before a gesture (a drag) that edits it many times. */
  checkpoint(): void;
  addNode(node: FlowNode): void;
  updateNode(id: string, patch: Partial<FlowNode>): void;
  /** Positions during a drag: not an undo step each (see checkpoint). */
  moveNodes(moves: ReadonlyMap<string, FlowNode['position']>): void;
  connect(edge: FlowEdge): void;
  setStart(id: string): void;
  /** The flow's declared variables, as one undo step. */
  setVariables(variables: FlowDefinition['variables']): void;
  select(nodes: string[], edges?: string[]): void;
  deleteSelected(): void;
  copy(): void;
  paste(): void;
  undo(): void;
  redo(): void;
}

export type EditorStore = ReturnType<typeof createEditorStore>;

/**
 * The editor's state: the flow definition itself (not xyflow's view of it), with undo/redo as snapshots of
 * the definition. Snapshots are cheap because graph edits copy only what they change.
 */
export function createEditorStore(initial: FlowDefinition = graph.emptyDefinition()) {
  return createStore<EditorState>()((set, get) => {
    /** Applies an edit as one undo step; an edit that changes nothing is not a step. */
    const edit = (next: FlowDefinition, extra: Partial<EditorState> = {}) => {
      const { definition, past } = get();
      if (next === definition) return;
      set({
        definition: next,
        past: [...past, definition].slice(-HISTORY_LIMIT),
        future: [],
        dirty: true,
        ...extra,
      });
    };
    return {
      definition: initial,
      past: [],
      future: [],
      selected: [],
      selectedEdges: [],
      clipboard: null,
      dirty: false,
      load: (definition) =>
        set({ definition, past: [], future: [], selected: [], selectedEdges: [], dirty: false }),
      markSaved: () => set({ dirty: false }),
      checkpoint: () => {
        const { definition, past } = get();
        set({ past: [...past, definition].slice(-HISTORY_LIMIT), future: [] });
      },
      addNode: (node) =>
        edit(graph.addNode(get().definition, node), { selected: [node.id], selectedEdges: [] }),
      updateNode: (id, patch) => edit(graph.updateNode(get().definition, id, patch)),
      moveNodes: (moves) => set({ definition: graph.moveNodes(get().definition, moves), dirty: true }),
      connect: (edge) => edit(graph.connect(get().definition, edge)),
      setStart: (id) => {
        if (get().definition.start !== id) edit({ ...get().definition, start: id });
      },
      setVariables: (variables) => edit({ ...get().definition, variables }),
      select: (nodes, edges = []) => set({ selected: nodes, selectedEdges: edges }),
      deleteSelected: () => {
        const { definition, selected, selectedEdges } = get();
        if (!selected.length && !selectedEdges.length) return;
        const next = graph.removeNodes(graph.removeEdges(definition, selectedEdges), selected);
        edit(next, { selected: [], selectedEdges: [] });
      },
      copy: () => {
        const { definition, selected } = get();
        if (selected.length) set({ clipboard: graph.copyNodes(definition, selected) });
      },
      paste: () => {
        const { definition, clipboard } = get();
        if (!clipboard?.nodes.length) return;
        const { definition: next, ids } = graph.pasteClip(definition, clipboard);
        // Pasting again shifts again, so copies do not pile up on one spot.
        const shifted = {
          ...clipboard,
          nodes: clipboard.nodes.map((n) => ({
            ...n,
            position: { x: n.position.x + 40, y: n.position.y + 40 },
          })),
        };
        edit(next, { selected: ids, selectedEdges: [], clipboard: shifted });
      },
      undo: () => {
        const { past, definition, future } = get();
        const previous = past.at(-1);
        if (!previous) return;
        set({ definition: previous, past: past.slice(0, -1), future: [definition, ...future], dirty: true });
      },
      redo: () => {
        const { past, definition, future } = get();
        const [next, ...rest] = future;
        if (!next) return;
        set({ definition: next, past: [...past, definition], future: rest, dirty: true });
      },
    };
  });
}
