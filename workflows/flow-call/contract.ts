import { defineQuery } from '@temporalio/workflow';
import type { CallInput, CallStatus } from '../call/contract';
import type { FlowDefinition } from '../../domain/flow/definition';
import type { QueuedCall } from '../acd/wait-in-queue';
import type { FlowStep } from '../../domain/flow/interpreter';

export type { FlowStep };

/** A call that runs a published flow version, pinned when the call starts. */
export interface FlowCallInput extends CallInput {
  flow: { id: string; version: number; definition: FlowDefinition };
}

export interface FlowCallStatus extends CallStatus {
  flowId: string;
  version: number;
  currentNode?: string;
  /** Every node entered, subflows' included, with how it was left. */
  path: FlowStep[];
  /** While in an ACD queue: which, since when, and the agent ringing or talking. */
  queue?: QueuedCall;
  /** The flow's variables; secret ones read `***`. */
  variables: Record<string, string>;
}

export const flowStatusQuery = defineQuery<FlowCallStatus>('flowStatus');
