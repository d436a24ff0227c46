import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { useEffect, type ComponentType, type ReactNode } from 'react';
import { nodeSpec } from '../../../domain/flow/registry';
import type { FlowNode } from './types';

/** What the canvas hands each node component. */
export interface FlowNodeData extends Record<string, unknown> {
  node: FlowNode;
  exits: string[];
  /** This node's validation messages (params and graph). */
  problems: string[];
  isStart: boolean;
  /** Simulation: visited on the path, or the step being shown. */
  lit?: 'visited' | 'current';
}

export type FlowNodeView = Node<FlowNodeData>;

type P = Record<string, unknown>;
const promptText = (prompt: unknown): string => {
  const p = prompt as P | undefined;
  if (!p) return '';
  if (p.kind === 'tts') return `“${String(p.text ?? '')}”`;
  if (p.kind === 'sound') return `sound ${String(p.name ?? '')}`;
  return `recording ${String(p.recordingId ?? '').slice(0, 8)}`;
};

/** The frame every node type shares: title, id, badges, one target handle and a source handle per exit. */
function NodeFrame({ id, data, children }: { id: string; data: FlowNodeData; children?: ReactNode }) {
  const update = useUpdateNodeInternals();
  const exitKey = data.exits.join('|');
  // Handles follow the params (a menu option added is a new exit): xyflow must re-measure them.
  useEffect(() => update(id), [exitKey, id, update]);
  const spec = nodeSpec(data.node.type);
  const classes = ['flow-node', `type-${data.node.type}`];
  if (data.problems.length) classes.push('has-problems');
  if (data.lit) classes.push(`lit-${data.lit}`);
  return (
    <div className={classes.join(' ')} data-node-id={id} aria-label={`Node ${id}`}>
      <Handle type="target" position={Position.Left} />
      <div className="flow-node-head">
        <strong>{data.node.label || spec?.title || data.node.type}</strong>
        {data.isStart && <span className="badge start-badge">start</span>}
        {data.problems.length > 0 && (
          <span
            className="badge problem-badge"
            title={data.problems.join('\n')}
            aria-label={`${data.problems.length} problems`}
          >
            ⚠ {data.problems.length}
          </span>
        )}
      </div>
      <div className="flow-node-id">{id}</div>
      {children && <div className="flow-node-body">{children}</div>}
      <div className="flow-node-exits">
        {data.exits.map((exit) => (
          <div key={exit} className="flow-node-exit">
            {exit}
            <Handle type="source" position={Position.Right} id={exit} aria-label={`Exit ${exit} of ${id}`} />
          </div>
        ))}
      </div>
    </div>
  );
}

// One component per node type: each shows what matters about its params at a glance.
const PlayNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {promptText(data.node.params.prompt)}
  </NodeFrame>
);
const SayNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {String(data.node.params.as ?? '')} {String(data.node.params.value ?? '')}
  </NodeFrame>
);
const MenuNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {promptText(data.node.params.prompt)}
  </NodeFrame>
);
const GatherNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    → {String(data.node.params.variable ?? '')}
  </NodeFrame>
);
const SetNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {((data.node.params.assignments as P[] | undefined) ?? [])
      .map((a) => `${String(a.variable)}=${String(a.value)}`)
      .join(', ')}
  </NodeFrame>
);
const BranchNode = ({ id, data }: NodeProps<FlowNodeView>) => <NodeFrame id={id} data={data} />;
const HttpNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {String(data.node.params.method ?? 'GET')} {String(data.node.params.url ?? '')}
  </NodeFrame>
);
const HoursNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {String(data.node.params.timeZone ?? '')}
  </NodeFrame>
);
const QueueNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {String(data.node.params.queueId ?? '').slice(0, 8)}
  </NodeFrame>
);
const TransferNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {String(data.node.params.number ?? data.node.params.endpoint ?? '')}
  </NodeFrame>
);
const VoicemailNode = ({ id, data }: NodeProps<FlowNodeView>) => <NodeFrame id={id} data={data} />;
const CallbackNode = ({ id, data }: NodeProps<FlowNodeView>) => <NodeFrame id={id} data={data} />;
const SubflowNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {String(data.node.params.flowId ?? '').slice(0, 8)}
  </NodeFrame>
);
const ReturnNode = ({ id, data }: NodeProps<FlowNodeView>) => <NodeFrame id={id} data={data} />;
const HangupNode = ({ id, data }: NodeProps<FlowNodeView>) => (
  <NodeFrame id={id} data={data}>
    {String(data.node.params.reason ?? 'normal')}
  </NodeFrame>
);
/** A type the registry does not know (from a newer API): still drawn, and flagged by validation. */
const UnknownNode = ({ id, data }: NodeProps<FlowNodeView>) => <NodeFrame id={id} data={data} />;

/** Node type → its canvas component; xyflow's `nodeTypes`. */
export const NODE_COMPONENTS: Record<string, ComponentType<NodeProps<FlowNodeView>>> = {
  play: PlayNode,
  say: SayNode,
  menu: MenuNode,
  gather: GatherNode,
  set: SetNode,
  branch: BranchNode,
  http: HttpNode,
  hours: HoursNode,
  queue: QueueNode,
  transfer: TransferNode,
  voicemail: VoicemailNode,
  callback: CallbackNode,
  subflow: SubflowNode,
  return: ReturnNode,
  hangup: HangupNode,
  unknown: UnknownNode,
};
