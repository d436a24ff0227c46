import { ActivityFailure, CancellationScope, patched, startChild, uuid4 } from '@temporalio/workflow';
import { CallSearchAttributes } from '../call/contract';
import { callbackWorkflowId, type CallbackRequest } from '../callback/contract';
import {
  acd,
  callControl,
  flowData,
  flowHttp,
  mediaWait,
  speech,
  ariCommand,
  ticketData,
} from '../shared/activity-profiles';
import { ticketWorkflowId } from '../ticket/contract';
import { waitInQueue, type QueuedCall } from '../acd/wait-in-queue';
import { FLOW_STEP_LIMIT } from '../../domain/history-ceilings';
import { asteriskMedia } from './asterisk-media';
import { CallerHungUp, type FlowPorts, type MediaItem } from '../../domain/flow/ports';
import { WorkBudget } from '../../domain/work-budget';

/** The call a flow runs on, and where the next read of its events starts. */
export interface CallLine {
  channel: { channelId: string; node: string };
  /** Stream sequence from which the next read of the channel's events starts: digits typed ahead are kept. */
  cursor: number;
  tenantId: string;
  callId: string;
  /** The caller's number, shown to agents and supervisors. */
  from: string;
  /** The queue the caller last left by overflow, and since when they had waited: kept by a callback. */
  lastQueued?: { queueId: string; enqueuedAt: string };
  /** Told that the flow hangs up (not the caller). */
  onSystemHangup?: () => void;
  /** Told where the call is while it waits in or talks from an ACD queue. */
  onQueue?: (call: QueuedCall | undefined) => void;
  /** Told of every input the caller keyed in (also when they hung up midway): the CDR keeps it. */
  onDigits?: (digits: string) => void;
}

/** A voicemail becomes a ticket (its own workflow, outliving the call) with the recording attached. */
async function openVoicemailTicket(line: CallLine, recordingId: string, queue?: string): Promise<void> {
  const ticketId = uuid4();
  const policy = await ticketData.policyFor({ tenantId: line.tenantId });
  await startChild('TicketWorkflow', {
    workflowId: ticketWorkflowId(ticketId),
    args: [
      {
        ticketId,
        tenantId: line.tenantId,
        fields: {
          subject: `Voicemail from ${line.from}`,
          description: 'A caller left a voicemail; the recording is attached.',
          requester: { number: line.from },
          priority: 'normal',
          queue,
          tags: ['voicemail'],
          custom: {},
          calls: [line.callId],
          recordings: [recordingId],
        },
        policy,
        createdAt: new Date().toISOString(),
        createdBy: 'flow:voicemail',
      },
    ],
    parentClosePolicy: 'ABANDON',
    typedSearchAttributes: [{ key: CallSearchAttributes.tenant, value: line.tenantId }],
  });
}

/** The interpreter's ports on a real call: every effect is an activity, so the workflow replays them. */
const FLOW_STEP_LIMIT_PATCH = 'flow-step-limit-400';
const LEGACY_STEP_LIMIT = 1000;
const RENDER_BUDGET_PATCH = 'flow-render-budget';
/** Calls from this release play consecutive media nodes as one list (domain/flow/play-list.ts). */
export const PLAY_LISTS_PATCH = 'flow-playlists';
/**
 * Characters a call's templates may read and write in all. A set node can multiply a value's length at each
 * assignment (`{{a}}` 400 times); without a bound the worker built strings of hundreds of MB until a
 * RangeError. The simulator's budget (MAX_SIMULATION_TEXT), so a flow that simulates runs, and what the
 * variables can hold stays within a workflow result's payload limit (2 MB). @default 2_000_000
 */
export const MAX_CALL_TEMPLATE_TEXT = 2_000_000;

export function callPorts(line: CallLine): FlowPorts {
  const toAsterisk = async (items: MediaItem[]): Promise<string[]> => {
    const uris: string[] = [];
    for (const item of items) {
      if (item.kind === 'tts') uris.push((await speech.synthesizeSpeech(item)).media);
      else if (item.kind === 'recording') {
        uris.push(
          (await flowData.stageRecording({ tenantId: line.tenantId, recordingId: item.recordingId })).media,
        );
      } else uris.push(...asteriskMedia(item));
    }
    return uris;
  };
  const ref = () => ({ ...line.channel, fromSeq: line.cursor });
  // Calls from before the limit came down to FLOW_STEP_LIMIT keep the 1,000 they started with.
  const maxSteps = patched(FLOW_STEP_LIMIT_PATCH) ? FLOW_STEP_LIMIT : LEGACY_STEP_LIMIT;
  // Calls that started before the budget render as they did (a replay must take the same path).
  const renderBudget = patched(RENDER_BUDGET_PATCH)
    ? new WorkBudget('rendering the flow’s templates', MAX_CALL_TEMPLATE_TEXT)
    : undefined;

  const ports: FlowPorts = {
    maxSteps,
    renderBudget,
    async play(items) {
      const media = await toAsterisk(items);
      if (!media.length) return;
      const { outcome } = await mediaWait.playMedia({ ...ref(), media });
      if (outcome === 'hangup') throw new CallerHungUp();
    },

    async collect(request) {
      const result = await mediaWait.collectDigits({
        ...ref(),
        prompt: await toAsterisk(request.prompt),
        maxDigits: request.maxDigits,
        terminator: request.terminator,
        firstDigitTimeoutMs: request.timeoutMs,
        interDigitTimeoutMs: request.timeoutMs,
      });
      line.cursor = result.nextSeq;
      line.onDigits?.(result.digits);
      if (result.endedBy === 'hangup') throw new CallerHungUp(result.digits);
      return result.digits;
    },

    async hangup(reason) {
      // Before the command: the channel's end reaches the workflow as a hangup signal, maybe in the same task.
      line.onSystemHangup?.();
      await ariCommand.hangup({ ...line.channel, reason });
    },

    async http(request) {
      try {
        return await flowHttp(request.timeoutMs).httpRequest({ ...request, tenantId: line.tenantId });
      } catch (err) {
        // The activity itself never fails for the far end; this is our worker dying mid-request.
        if (err instanceof ActivityFailure) return { kind: 'error', message: err.message, retryable: true };
        throw err;
      }
    },

    async transfer(request) {
      const result = await callControl.transfer({
        ...ref(),
        to: request.to,
        callerId: request.callerId,
        ringSeconds: request.ringSeconds,
      });
      line.cursor = result.nextSeq;
      if (result.outcome === 'hangup') throw new CallerHungUp();
      return result.outcome;
    },

    async record(request) {
      if (request.prompt.length) await this.play(request.prompt);
      // Most messages end with the caller hanging up, which cancels the flow: the recording and its
      // storing run to their end regardless (the activity stops by itself when the channel goes).
      return CancellationScope.nonCancellable(async () => {
        const result = await callControl.recordMessage({
          ...ref(),
          maxSeconds: request.maxSeconds,
          beep: request.beep,
        });
        line.cursor = result.nextSeq;
        if (!result.name) return { durationMs: result.durationMs, callerHungUp: result.hungUp };
        const { recordingId } = await flowData.storeRecording({
          node: line.channel.node,
          tenantId: line.tenantId,
          name: result.name,
          durationMs: result.durationMs,
          callId: line.callId,
          flowId: request.source.flowId,
          nodeId: request.source.nodeId,
          ticketQueue: request.ticketQueue,
        });
        await openVoicemailTicket(line, recordingId, request.ticketQueue);
        return { recordingId, durationMs: result.durationMs, callerHungUp: result.hungUp };
      });
    },

    async queue(request) {
      try {
        return await waitInQueue(line, request, (call) => line.onQueue?.(call));
      } catch (err) {
        // A queue deleted after the flow was published: the caller goes on by the overflow exit.
        if (
          err instanceof ActivityFailure &&
          (err.cause as { type?: string } | undefined)?.type === 'QueueNotFound'
        ) {
          return 'overflow';
        }
        throw err;
      }
    },

    async queueOverflow(queueId) {
      try {
        return (await acd.loadQueue({ tenantId: line.tenantId, queueId })).overflow;
      } catch (err) {
        // A queue deleted meanwhile has no overflow target: the caller leaves by the exit.
        if (
          err instanceof ActivityFailure &&
          (err.cause as { type?: string } | undefined)?.type === 'QueueNotFound'
        )
          return undefined;
        throw err;
      }
    },

    async createCallback({ queueId, number }) {
      const callbackId = uuid4();
      // The caller's place: when they entered this queue, if they just waited in it.
      const place = line.lastQueued?.queueId === queueId ? line.lastQueued.enqueuedAt : undefined;
      const request: CallbackRequest = {
        tenantId: line.tenantId,
        number,
        queueId,
        maxAttempts: 3,
        retryDelaysSec: [60, 300, 900],
        priority: 0,
        enqueuedAt: place,
        fromCall: line.callId,
      };
      // Outside the call's cancellation scope: the caller hanging up right after accepting (the usual
      // case) must not cancel the callback with the call.
      await CancellationScope.nonCancellable(() =>
        startChild('CallbackWorkflow', {
          workflowId: callbackWorkflowId(callbackId),
          args: [{ callbackId, request, createdAt: new Date().toISOString() }],
          // The callback outlives the call that asked for it.
          parentClosePolicy: 'ABANDON',
          typedSearchAttributes: [
            { key: CallSearchAttributes.tenant, value: line.tenantId },
            { key: CallSearchAttributes.caller, value: number },
          ],
        }),
      );
      return callbackId;
    },

    async loadFlow(flowId, version) {
      return flowData.loadSubflow({ tenantId: line.tenantId, flowId, version, callId: line.callId });
    },

    now: () => new Date(),
  };
  // Calls that started before lists play node by node, as their histories recorded.
  if (patched(PLAY_LISTS_PATCH)) {
    ports.playList = async (segments) => {
      // Where each segment's items start in the one list Asterisk plays; an empty segment is passed at once.
      const starts: number[] = [];
      const media: string[] = [];
      for (const items of segments) {
        starts.push(media.length);
        media.push(...(await toAsterisk(items)));
      }
      if (!media.length) return { reached: segments.length, startedAt: [] };
      const result = await mediaWait.playMedia({ ...ref(), media });
      const startedAt = starts.map((at, s) =>
        at < media.length && starts[s + 1] !== at ? result.startedAt?.[at] : undefined,
      );
      if (result.outcome !== 'hangup') return { reached: segments.length, startedAt };
      const item = result.reached ?? 0;
      // The segment holding the item playing when the caller hung up (the last one starting at or before it).
      let reached = 0;
      for (let s = 0; s < segments.length; s++)
        if (starts[s]! <= item && (starts[s + 1] ?? media.length) > starts[s]!) reached = s;
      return { reached, startedAt };
    };
  }
  return ports;
}
