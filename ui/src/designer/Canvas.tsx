import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import { useCallback, useMemo, useState, type DragEvent } from 'react';
import { validateFlow } from '../../../domain/flow/validate';
import { nodeSpec } from '../../../domain/flow/registry';
import { useEditor, useEditorStore } from './context';
import { edgeKey, exitsOf, newNodeId } from './graph';
import { NODE_COMPONENTS, type FlowNodeView } from './nodes';
import { PALETTE_MIME } from './Palette';
import { defaultParams } from './schema-form';

export interface LitStep {
  nodeId: string;
  exit?: string;
}

/** Canvas options. */
export interface CanvasProps {
  /** Simulation: the steps in path order (node and the exit it left by), and how many are lit so far. */
  litPath?: LitStep[];
  litCount?: number;
}

/**
 * The flow on xyflow's canvas. The store holds the flow definition; xyflow only gets a view of it, so undo,
 * validation and saving all work on the one definition.
 */
export function Canvas({ litPath = [], litCount = 0 }: CanvasProps) {
  const store = useEditorStore();
  const definition = useEditor((s) => s.definition);
  const selected = useEditor((s) => s.selected);
  const selectedEdges = useEditor((s) => s.selectedEdges);
  const flow = useReactFlow();
  // xyflow measures nodes; the definition has no place for sizes, so they live here.
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});

  const problems = useMemo(() => {
    const byNode = new Map<string, string[]>();
    for (const p of validateFlow(definition)) {
      if (!p.nodeId) continue;
      byNode.set(p.nodeId, [...(byNode.get(p.nodeId) ?? []), `${p.path}: ${p.message}`]);
    }
    return byNode;
  }, [definition]);

  const lit = useMemo(() => {
    const shown = litPath.slice(0, litCount);
    const visited = new Set(shown.map((s) => s.nodeId));
    // Only the exit taken lights up, not every edge between the two nodes.
    const edges = new Set(shown.slice(0, -1).map((s) => `${s.nodeId}:${s.exit ?? ''}`));
    return { visited, current: shown.at(-1)?.nodeId, edges };
  }, [litPath, litCount]);

  const nodes: FlowNodeView[] = useMemo(
    () =>
      definition.nodes.map((node) => ({
        id: node.id,
        type: NODE_COMPONENTS[node.type] ? node.type : 'unknown',
        position: node.position,
        selected: selected.includes(node.id),
        measured: measured[node.id],
        data: {
          node,
          exits: exitsOf(node),
          problems: problems.get(node.id) ?? [],
          isStart: definition.start === node.id,
          lit: lit.current === node.id ? 'current' : lit.visited.has(node.id) ? 'visited' : undefined,
        },
      })),
    [definition, selected, measured, problems, lit],
  );

  const edges: Edge[] = useMemo(
    () =>
      definition.edges.map((e) => ({
        id: edgeKey(e),
        source: e.from,
        sourceHandle: e.exit,
        target: e.to,
        selected: selectedEdges.includes(edgeKey(e)),
        animated: lit.edges.has(edgeKey(e)),
        className: lit.edges.has(edgeKey(e)) ? 'lit-edge' : undefined,
      })),
    [definition, selectedEdges, lit],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNodeView>[]) => {
      const moves = new Map<string, { x: number; y: number }>();
      let selection: string[] | null = null;
      const sizes: Record<string, { width: number; height: number }> = {};
      for (const change of changes) {
        if (change.type === 'position' && change.position) moves.set(change.id, change.position);
        else if (change.type === 'dimensions' && change.dimensions) sizes[change.id] = change.dimensions;
        else if (change.type === 'select') {
          selection ??= [...store.getState().selected];
          selection = change.selected
            ? [...new Set([...selection, change.id])]
            : selection.filter((id) => id !== change.id);
        }
      }
      if (moves.size) store.getState().moveNodes(moves);
      if (Object.keys(sizes).length) setMeasured((m) => ({ ...m, ...sizes }));
      if (selection) store.getState().select(selection, store.getState().selectedEdges);
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let selection: string[] | null = null;
      for (const change of changes)
        if (change.type === 'select') {
          selection ??= [...store.getState().selectedEdges];
          selection = change.selected
            ? [...new Set([...selection, change.id])]
            : selection.filter((id) => id !== change.id);
        }
      if (selection) store.getState().select(store.getState().selected, selection);
    },
    [store],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!nodeSpec(type)) return;
      event.preventDefault();
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const id = newNodeId(
        type,
        store.getState().definition.nodes.map((n) => n.id),
      );
      store.getState().addNode({ id, type, params: defaultParams(type), position });
    },
    [flow, store],
  );

  return (
    <div
      className="canvas"
      onDragOver={(e) => (e.preventDefault(), (e.dataTransfer.dropEffect = 'move'))}
      onDrop={onDrop}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_COMPONENTS}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStart={() => store.getState().checkpoint()}
        onConnect={(c) =>
          c.sourceHandle && store.getState().connect({ from: c.source, exit: c.sourceHandle, to: c.target })
        }
        // Delete and copy/paste are the editor's own shortcuts (they go through the undo history).
        deleteKeyCode={null}
        fitView
        // A new flow's single node should not fill the canvas.
        fitViewOptions={{ maxZoom: 1 }}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls aria-label="Canvas controls" />
        <MiniMap
          aria-label="Minimap"
          pannable
          zoomable
          nodeColor={(n: FlowNodeView) => (n.data.problems.length ? '#f4b4b0' : '#c9d4e3')}
        />
      </ReactFlow>
    </div>
  );
}
