import type { FlowDefinition } from '../../../domain/flow/definition';
import type { FlowProblem } from '../../../domain/flow/validate';

/** A node of the flow definition, as the editor holds it. */
export type FlowNode = FlowDefinition['nodes'][number];
export type FlowEdge = FlowDefinition['edges'][number];
export type { FlowDefinition, FlowProblem };

/** GET /v1/flows/:id as the API answers it. */
export interface Flow {
  id: string;
  name: string;
  description: string;
  version: number;
  latestPublished: number | null;
  createdAt: string;
  updatedAt: string;
  definition: FlowDefinition;
}

export type FlowSummary = Omit<Flow, 'definition' | 'description'>;

export interface FlowVersion {
  number: number;
  publishedAt: string;
  definition: FlowDefinition;
}

export interface ValidationReport {
  valid: boolean;
  problems: FlowProblem[];
}

export interface SimulationStep {
  nodeId: string;
  type: string;
  enteredAt: string;
  exit?: string;
  detail?: Record<string, string>;
}

export interface SimulationEvent {
  nodeId: string;
  kind: string;
  media?: { kind: string; name?: string; text?: string; value?: string; recordingId?: string }[];
  digits?: string;
  outcome?: string;
}

export interface SimulationResult {
  path: SimulationStep[];
  events: SimulationEvent[];
  variables: Record<string, string>;
  ended: { by: string; nodeId?: string; message?: string };
}
