import type { NodeSpec } from './nodes/spec';
import { callback, gather, menu, voicemail } from './nodes/input';
import { http, queue, transfer } from './nodes/integration';
import { branch, hours, returnNode, set, subflow } from './nodes/logic';
import { hangup, play, say } from './nodes/media';

/** Every node type of the flow language, by type. The designer's palette lists them in this order. */
export const NODE_TYPES: readonly NodeSpec[] = [
  play,
  say,
  menu,
  gather,
  set,
  branch,
  http,
  hours,
  queue,
  transfer,
  voicemail,
  callback,
  subflow,
  returnNode,
  hangup,
] as NodeSpec[];

const byType = new Map(NODE_TYPES.map((spec) => [spec.type, spec]));

export const nodeSpec = (type: string): NodeSpec | undefined => byType.get(type);
