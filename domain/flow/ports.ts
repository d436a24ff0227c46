import type { WorkBudget } from '../work-budget';
import type { FlowDefinition } from './definition';

/**
 * What the interpreter needs from the world, as one interface. A real call implements it with activities
 * (workflows/flow-call/call-ports.ts); the simulator implements it with a script of caller input and stubbed HTTP
 * (lib/flow-simulator.ts). The interpreter and the node handlers are the same code for both.
 */

/** Something to play, resolved from a node's prompt: TTS text is already rendered with the variables. */
export type MediaItem =
  | { kind: 'sound'; name: string }
  | { kind: 'tts'; text: string; voice: string }
  | { kind: 'recording'; recordingId: string }
  | { kind: 'digits'; value: string }
  | { kind: 'number'; value: string }
  /** A calendar date, YYYY-MM-DD, read out as weekday, month, day and year. */
  | { kind: 'date'; value: string };

export interface CollectRequest {
  /** Played first; the first digit stops it. */
  prompt: MediaItem[];
  maxDigits: number;
  /** '' for none. */
  terminator: string;
  timeoutMs: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export type HttpResult =
  | { kind: 'response'; status: number; body: string }
  | { kind: 'timeout' }
  /** Refused before sending (not on the tenant's allow-list) or failed on the network. */
  | { kind: 'error'; message: string; retryable: boolean };

export interface TransferRequest {
  to: { kind: 'number'; number: string } | { kind: 'sip'; endpoint: string };
  callerId?: string;
  ringSeconds: number;
}

/** completed: the far end answered and the conversation ended with the caller still on the line. */
export type TransferOutcome = 'completed' | 'busy' | 'no_answer' | 'failed';

export interface RecordRequest {
  prompt: MediaItem[];
  maxSeconds: number;
  beep: boolean;
  /** Where the ticket made from the message goes. */
  ticketQueue?: string;
  /** The flow and node leaving the message, kept with it. */
  source: { flowId: string; nodeId: string };
}

export interface RecordResult {
  /** Absent when the caller said nothing (or hung up before speaking). */
  recordingId?: string;
  durationMs: number;
  /** Hanging up is how most messages end: the message is kept, then the flow ends. */
  callerHungUp: boolean;
}

export interface QueueRequest {
  queueId: string;
  priority: number;
  skills: { name: string; minLevel: number }[];
  maxWaitSec?: number;
}

/** A queue's own overflow target (its settings' `overflow`). */
export interface QueueOverflow {
  kind: 'queue' | 'voicemail' | 'callback' | 'flow';
  /** The queue or flow id for those kinds; for voicemail, the ticket queue. */
  target?: string;
}

export interface LoadedFlow {
  id: string;
  version: number;
  definition: FlowDefinition;
}

/** How far a play list got (FlowPorts.playList). */
export interface PlayListResult {
  /** The segment playing when the caller hung up; `segments.length` when all were played. */
  reached: number;
  /** When each segment reached started playing (ISO), where known. */
  startedAt: (string | undefined)[];
}

export interface FlowPorts {
  play(media: MediaItem[]): Promise<void>;
  /**
   * Plays several nodes' media back to back in one media step (domain/flow/play-list.ts), without the gap
   * of a step per node. Absent: each node plays on its own (the simulator, and calls from before lists).
   */
  playList?(segments: MediaItem[][]): Promise<PlayListResult>;
  /** The digits typed ('' on timeout). */
  collect(request: CollectRequest): Promise<string>;
  hangup(reason: string): Promise<void>;
  http(request: HttpRequest): Promise<HttpResult>;
  transfer(request: TransferRequest): Promise<TransferOutcome>;
  record(request: RecordRequest): Promise<RecordResult>;
  queue(request: QueueRequest): Promise<'served' | 'overflow'>;
  /** Where the queue sends callers past its wait limit when the flow does not say; undefined: nowhere. */
  queueOverflow(queueId: string): Promise<QueueOverflow | undefined>;
  /** Owes the caller a callback from this queue, keeping their place when they just waited in it. */
  createCallback(request: { queueId: string; number: string }): Promise<string>;
  /** A published version of another flow, its parameters normalized; the rollout picks when no version. */
  loadFlow(flowId: string, version?: number): Promise<LoadedFlow>;
  /** Now, for business hours: the workflow's deterministic clock on a call, the script's time when simulated. */
  now(): Date;
  /** Node visits before the flow is cut. @default MAX_STEPS */
  readonly maxSteps?: number;
  /**
   * Characters templates may read and write in this run, one unit each (prompts, URLs, bodies, `set` values):
   * the simulator's bound on a flow whose `set` nodes multiply a value's length at every step. @default none
   */
  readonly renderBudget?: WorkBudget;
  /** Awaited before each node: the simulator gives the event loop a turn there. @default not called */
  pace?(): Promise<void>;
}

/** The caller hung up while a node was running: the flow ends where it was. Ports throw it. */
export class CallerHungUp extends Error {
  /** @param input What the caller had keyed in at the node when they hung up, kept for the record. */
  constructor(readonly input = '') {
    super('the caller hung up');
    this.name = 'CallerHungUp';
  }
}
