/**
 * What the gateway, the router, the UI and CallWorkflow agree on. Safe to import anywhere: it pulls in
 * only @temporalio/workflow's definition helpers and @temporalio/common.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const CallState = {
  Ringing: 'ringing',
  Answered: 'answered',
  Prompting: 'prompting',
  Collecting: 'collecting',
  /** Running a flow's nodes; which one is in the flow status. */
  InFlow: 'in_flow',
  ReadingBack: 'reading_back',
  Ending: 'ending',
  Ended: 'ended',
} as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

export const Disposition = {
  /** The call was answered and ended (by either side). */
  Answered: 'answered',
  /** The caller hung up before we answered. */
  Abandoned: 'abandoned',
  /** Asterisk could not carry out our commands. */
  Failed: 'failed',
} as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

export interface DigitCollection {
  /** Most digits to collect. @default 4 */
  maxDigits: number;
  /** Digit that ends input early; it is not part of the result. @default '#' */
  terminator: string;
  /** Wait for the first digit after the prompt ends, in ms. @default 5000 */
  firstDigitTimeoutMs: number;
  /** Wait between digits, in ms. @default 3000 */
  interDigitTimeoutMs: number;
}

export interface CallInput {
  tenantId: string;
  channelId: string;
  /** The Asterisk that owns the channel (ASTERISK_NODE). */
  node: string;
  from: string;
  to: string;
  /** When Asterisk put the channel into Stasis (ISO 8601). */
  startedAt: string;
  /** Stream sequence of the StasisStart event: activities read the channel's events from here on. */
  eventSeq: number;
  /**
   * When the router answered the channel, before starting the workflow (ISO 8601); the workflow then does
   * not answer again. Absent (and in every run started before routers answered): the workflow answers.
   */
  answeredAt?: string;
  /** Prompt before collecting digits (ARI media URIs). @default ['sound:vm-enter-num-to-call'] */
  prompt?: string[];
  collect?: Partial<DigitCollection>;
}

export interface CallStatus {
  workflowId: string;
  channelId: string;
  tenantId: string;
  from: string;
  to: string;
  state: CallState;
  digits: string;
  collectEndedBy?: 'max_digits' | 'terminator' | 'timeout' | 'hangup';
  startedAt: string;
  answeredAt?: string;
  endedAt?: string;
  endedBy?: 'caller' | 'system';
  disposition?: Disposition;
}

export interface HangupNotice {
  at: string;
  cause?: number;
  causeText?: string;
}

/** Stasis argument of the legs a call dials (transfers): the router does not route them as new calls. */
export const DIALED_LEG_ARG = 'cticloud:dialed-leg';
/** Every Stasis argument CTICloud itself puts on channels it dials starts with this. */
export const INTERNAL_ARG_PREFIX = 'cticloud:';

export const callWorkflowId = (node: string, channelId: string): string => `call-${node}-${channelId}`;

export const hangupSignal = defineSignal<[HangupNotice]>('hangup');

/** Someone with the API (a supervisor's console) ends the call; the API key that did it, for the log. */
export interface EndCallRequest {
  at: string;
  by: string;
}
/**
 * Ends a live call the way the call itself would: the script is cancelled, the workflow hangs up its own
 * channel and the CDR says the system ended it (an ARI hangup from outside would read as the caller's).
 */
export const endCallSignal = defineSignal<[EndCallRequest]>('endCall');
export const callStatusQuery = defineQuery<CallStatus>('status');

export const CallSearchAttributes = {
  state: defineSearchAttributeKey('CallState', SearchAttributeType.KEYWORD),
  caller: defineSearchAttributeKey('CallerNumber', SearchAttributeType.KEYWORD),
  dialed: defineSearchAttributeKey('DialedNumber', SearchAttributeType.KEYWORD),
  tenant: defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD),
} as const;
