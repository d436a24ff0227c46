import { defineQuery } from '@temporalio/workflow';
import type { CallInput, CallStatus } from './call-contract';
import type { FlowDefinition } from './flow/definition';

/** A call that runs a published flow version, pinned when the call starts. */
export interface FlowCallInput extends CallInput {
  flow: { id: string; version: number; definition: FlowDefinition };
}

export interface FlowStep {
  nodeId: string;
  type: string;
  enteredAt: string;
  /** How the node was left; absent for the node the call is in or ended in. */
  exit?: string;
}

export interface FlowCallStatus extends CallStatus {
  flowId: string;
  version: number;
  currentNode?: string;
  path: FlowStep[];
  /** The flow's variables; secret ones read `***`. */
  variables: Record<string, string>;
}

export const flowStatusQuery = defineQuery<FlowCallStatus>('flowStatus');
