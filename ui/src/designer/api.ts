import { api } from '../api/client';
import type { Rollout } from '../../../domain/flow/rollout';
import type {
  Flow,
  FlowDefinition,
  FlowSummary,
  FlowVersion,
  SimulationResult,
  ValidationReport,
} from './types';

/** The flow API (docs/flow-language.md) as the designer uses it. */
export const flowsApi = {
  list: () => api<{ flows: FlowSummary[] }>('GET', '/v1/flows'),
  get: (id: string) => api<Flow>('GET', `/v1/flows/${id}`),
  create: (name: string, definition: FlowDefinition) => api<Flow>('POST', '/v1/flows', { name, definition }),
  save: (flow: Pick<Flow, 'id' | 'name' | 'description' | 'version'>, definition: FlowDefinition) =>
    api<Flow>('PUT', `/v1/flows/${flow.id}`, {
      name: flow.name,
      description: flow.description,
      version: flow.version,
      definition,
    }),
  remove: (id: string) => api<void>('DELETE', `/v1/flows/${id}`),
  validate: (id: string) => api<ValidationReport>('POST', `/v1/flows/${id}/validate`),
  publish: (id: string) => api<{ number: number }>('POST', `/v1/flows/${id}/publish`),
  simulate: (id: string, digits: string[]) =>
    api<SimulationResult>('POST', `/v1/flows/${id}/simulate`, { version: 'draft', digits }),
  versions: (id: string) => api<{ versions: FlowVersion[] }>('GET', `/v1/flows/${id}/versions`),
  rollout: (id: string) => api<{ rollout: Rollout | null }>('GET', `/v1/flows/${id}/rollout`),
  setRollout: (id: string, rollout: Rollout) =>
    api<{ rollout: Rollout }>('PUT', `/v1/flows/${id}/rollout`, rollout),
  importTwilio: (name: string, definition: unknown) =>
    api<{ flow: Flow; report: ImportIssue[] }>('POST', '/v1/flows/import/twilio-studio', {
      name,
      definition,
    }),
};

export interface ImportIssue {
  state: string;
  widgetType: string;
  severity: 'unmapped' | 'approximated';
  message: string;
}

export interface NumberAssignment {
  id: string;
  number: string;
  flowId: string;
  createdAt: string;
}

/** A number the platform operator provisioned to the tenant; `flowId` null while no flow answers it. */
export interface ProvisionedNumber {
  number: string;
  tenantId: string;
  flowId: string | null;
  provisionedAt: string;
}

export const numbersApi = {
  list: () => api<{ numbers: NumberAssignment[] }>('GET', '/v1/numbers'),
  assign: (number: string, flowId: string) =>
    api<NumberAssignment>('POST', '/v1/numbers', { number, flowId }),
  remove: (id: string) => api<void>('DELETE', `/v1/numbers/${id}`),
};
