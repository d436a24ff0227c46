/** What the gateway, the UI and CallbackWorkflow agree on. Safe to import anywhere. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface CallingHours {
  timeZone: string;
  weekly: { days: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[]; open: string; close: string }[];
  holidays: { date: string; name?: string }[];
}

export interface CallbackRequest {
  tenantId: string;
  /** E.164 or the digits the outbound route dials. */
  number: string;
  queueId: string;
  /** Not before (ISO). @default now */
  earliest?: string;
  /** Not after (ISO): past it, the callback expires. */
  latest?: string;
  /** Only dial while these hours are open (the customer's time zone). */
  hours?: CallingHours;
  /** @default 3 */
  maxAttempts: number;
  /** Wait before attempt 2, 3, …; the last value repeats. @default [60, 300, 900] */
  retryDelaysSec: number[];
  priority: number;
  notes?: string;
  /** The queue place kept: when the caller who asked for it entered the queue. @default creation time */
  enqueuedAt?: string;
  /** The call it came from, when offered in a flow. */
  fromCall?: string;
  /** Seconds the customer's phone rings per attempt. @default 30 */
  ringSeconds?: number;
  /** Run AMD on the customer's answer; a machine is retried like no answer. @default false */
  amd?: boolean;
}

export const CallbackState = {
  /** Waiting for its time (earliest, open hours, retry delay). */
  Scheduled: 'scheduled',
  /** In line for an agent. */
  Queued: 'queued',
  /** Agent ringing or connected, customer being dialed. */
  Dialing: 'dialing',
  Connected: 'connected',
  Completed: 'completed',
  /** Every attempt used, or `latest` passed. */
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type CallbackState = (typeof CallbackState)[keyof typeof CallbackState];

export interface CallbackAttempt {
  number: number;
  startedAt: string;
  endedAt?: string;
  agentId?: string;
  outcome?: 'answered' | 'busy' | 'no_answer' | 'failed' | 'machine' | 'agent_no_answer';
  talkSeconds?: number;
}

export interface CallbackStatus {
  callbackId: string;
  request: CallbackRequest;
  state: CallbackState;
  attempts: CallbackAttempt[];
  /** When the next attempt may start (while scheduled). */
  nextAttemptAt?: string;
  reason?: string;
  recordingId?: string;
  createdAt: string;
}

export const callbackStatusQuery = defineQuery<CallbackStatus>('callbackStatus');
/** New time limits or hours; the next attempt is replanned. */
export const rescheduleUpdate = defineUpdate<
  CallbackStatus,
  [Partial<Pick<CallbackRequest, 'earliest' | 'latest' | 'hours' | 'notes' | 'priority'>>]
>('reschedule');
export const cancelUpdate = defineUpdate<CallbackStatus, [{ reason?: string }]>('cancel');

/**
 * Does nothing in the workflow. Sent with signal-with-start to a callback still in its start delay (its first
 * attempt far off), it makes Temporal run the workflow now, so a reschedule or cancel update can reach it.
 */
export const wakeSignal = defineSignal('wake');

export const callbackWorkflowId = (id: string): string => `callback-${id}`;
