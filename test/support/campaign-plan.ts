import type { CampaignPlan } from '../../workflows/campaign/contract';

/** A flow campaign's plan for unit tests, agentless and unhurried unless `overrides` say otherwise. */
export function campaignPlan(overrides: Partial<CampaignPlan> = {}): CampaignPlan {
  return {
    campaignId: `plan-${Date.now()}`,
    tenantId: 'default',
    target: { kind: 'flow', flowId: 'f' },
    callerId: '5550199',
    mode: 'agentless',
    pacing: { callsPerSecond: 10, maxConcurrent: 10, ratio: 1, maxAbandonRate: 0.03 },
    amd: false,
    ringSeconds: 10,
    ...overrides,
  };
}
