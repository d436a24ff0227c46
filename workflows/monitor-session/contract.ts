/** What the gateway and MonitorSessionWorkflow agree on. Safe to import anywhere. */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MonitorMode, MonitorResources } from '../../asterisk/monitor';

export interface MonitorSessionInput {
  tenantId: string;
  callId: string;
  sessionId: string;
  mode: MonitorMode;
  /** The supervisor's dial string. */
  endpoint: string;
  callerId?: string;
  /** Our Stasis app, which the supervisor's channel and the snoop must be in. */
  app: string;
  agentLegId: string;
  callBridgeId: string;
  resources: MonitorResources;
  /** The Asterisk the call's agent leg is on; sessions from before several nodes have none (the primary). */
  node?: string;
  ringSeconds: number;
}

export const MonitorEnd = {
  /** The agent's conversation ended, or the supervisor hung up. */
  Hangup: 'hangup',
  /** DELETE /v1/calls/:id/monitor/:sessionId. */
  Stopped: 'stopped',
  /** It never started: the supervisor did not answer, the conversation ended first, a bad endpoint. */
  NotStarted: 'not_started',
} as const;
export type MonitorEnd = (typeof MonitorEnd)[keyof typeof MonitorEnd];

/** Answers once the supervisor is connected; fails with the MonitorFailure reason as its type otherwise. */
export const monitorStartedUpdate = defineUpdate<{ startedAt: string }>('monitorStarted');
export const stopMonitorSignal = defineSignal('stopMonitor');

export const monitorWorkflowId = (callId: string, sessionId: string): string =>
  `monitor-${callId}-${sessionId}`;
