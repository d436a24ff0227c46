import { useReactFlow } from '@xyflow/react';
import { NODE_TYPES } from '../../../domain/flow/registry';
import { useEditorStore } from './context';
import { newNodeId } from './graph';
import { defaultParams } from './schema-form';

/** The drag payload's type, so the canvas ignores files or text dropped on it. */
export const PALETTE_MIME = 'application/x-cticloud-node-type';

/** Every node type of the flow language: drag one onto the canvas, or press it to add it in the middle. */
export function Palette() {
  const store = useEditorStore();
  const flow = useReactFlow();
  const addAtCentre = (type: string) => {
    const box = document.querySelector('.canvas')?.getBoundingClientRect();
    const position = box
      ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 })
      : { x: 0, y: 0 };
    const id = newNodeId(
      type,
      store.getState().definition.nodes.map((n) => n.id),
    );
    store.getState().addNode({ id, type, params: defaultParams(type), position });
  };
  return (
    <aside className="palette" aria-label="Node palette">
      <h2>Nodes</h2>
      {NODE_TYPES.map((spec) => (
        <button
          key={spec.type}
          type="button"
          draggable
          className={`palette-item type-${spec.type}`}
          aria-label={`Add ${spec.title} node`}
          title={`Drag onto the canvas, or press to add a ${spec.title} node`}
          onDragStart={(e) => {
            e.dataTransfer.setData(PALETTE_MIME, spec.type);
            e.dataTransfer.effectAllowed = 'move';
          }}
          onClick={() => addAtCentre(spec.type)}
        >
          {spec.title}
        </button>
      ))}
    </aside>
  );
}
