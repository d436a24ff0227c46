import { Context } from '@temporalio/activity';
import type { AriCommands } from '../asterisk/ari-commands';
import type { AriEvent } from '../asterisk/ari-events';
import { dialAgentThenCustomer, type AgentFirstParams, type AgentFirstResult } from './callback-dial';
import { dialAndBridge, type DialAndBridgeResult } from './dial-bridge';
import { dialOut, type DialOutInput, type DialOutResult } from './dial-out';
import { isEnd, nextEvent, type ChannelRef } from './ari';
import { nextOrGone } from './channel-gone';
import type { ChannelEventCursor, ChannelEventSource } from './channel-events';

export interface TransferInput extends ChannelRef {
  fromSeq: number;
  /** Who to dial: a PJSIP endpoint as it is, a number through the outbound dial template. */
  to: { kind: 'number'; number: string } | { kind: 'sip'; endpoint: string };
  callerId?: string;
  ringSeconds: number;
}

export interface TransferResult {
  outcome: 'completed' | 'busy' | 'no_answer' | 'failed' | 'hangup';
  /** Seconds the two were connected. */
  talkSeconds: number;
  nextSeq: number;
}

export interface ConnectAgentInput extends ChannelRef {
  fromSeq: number;
  endpoint: string;
  callerId?: string;
  ringSeconds: number;
  legId: string;
  bridgeId: string;
  /** Record the conversation under this name. */
  recordAs?: string;
  /** Ring until answered, or talk (bridge) after that. */
  phase: 'ring' | 'talk';
  /** The caller hears hold music: stop it just before the ringback (one activity fewer than stopMoh). */
  stopMoh?: boolean;
}

export interface RecordMessageInput extends ChannelRef {
  fromSeq: number;
  maxSeconds: number;
  beep: boolean;
}

export interface RecordMessageResult {
  /** Asterisk's recording name, absent when nothing was said. */
  name?: string;
  durationMs: number;
  hungUp: boolean;
  nextSeq: number;
}

export interface CallControlDeps {
  ari: AriCommands;
  events: ChannelEventSource;
  /** The Stasis app the dialed legs enter (not routed as new calls: they carry DIALED_LEG_ARG). */
  app: string;
  /** Dial string for numbers, `{number}` replaced, e.g. `PJSIP/{number}@trunk`. */
  outboundDial: string;
  /** This worker's Asterisk (ASTERISK_NODE): where calls without a channel yet are dialed. */
  node: string;
  /** Whether a campaign is paused or stopped, checked just before each of its calls is placed. */
  campaignHalted?: (campaignId: string) => Promise<boolean>;
}

/** Ids that are the same on every attempt of this activity, with the attempt number appended. */
function attemptIds() {
  const info = Context.current().info;
  const base = `${info.workflowExecution?.runId ?? 'standalone'}-${info.activityId}`;
  return { base, attempt: info.attempt };
}

/** Reads on until the caller's channel or `until` says stop; tracks the caller's next unread sequence. */
async function readUntil(
  cursor: ChannelEventCursor,
  callerId: string,
  until: number,
  state: { nextSeq: number },
): Promise<AriEvent | undefined> {
  const next = await nextEvent(cursor, until);
  if (next && next.event.channel?.id === callerId) state.nextSeq = next.seq + 1;
  return next?.event;
}

export function createCallControlActivities({
  ari,
  events,
  app,
  outboundDial,
  node,
  campaignHalted,
}: CallControlDeps) {
  return {
    /**
     * Dials another party with ringback for the caller, bridges the two when it answers and waits until
     * the conversation ends. The leg, bridge and ringback ids are the same on every attempt, so a retry
     * after a dead worker finds the first try's leg in the event stream and resumes it (still ringing,
     * talking, or over) the way connectAgent does: the third party is dialed once and a talking leg is
     * never hung up by the retry.
     */
    async transfer(input: TransferInput): Promise<TransferResult> {
      const { base, attempt } = attemptIds();
      const { outcome, talkSeconds, nextSeq } = await dialAndBridge(
        { ari, events, app },
        {
          caller: input,
          fromSeq: input.fromSeq,
          endpoint:
            input.to.kind === 'sip'
              ? input.to.endpoint
              : outboundDial.replaceAll('{number}', input.to.number),
          callerId: input.callerId,
          ringSeconds: input.ringSeconds,
          legId: `${base}-leg`,
          bridgeId: `${base}-bridge`,
          ringbackId: `${base}-ringback`,
          local: input.to.kind === 'number' && outboundDial.startsWith('Local/'),
          resume: attempt > 1,
        },
      );
      // Without a phase the conversation runs to its end: never `answered` here.
      return { outcome: outcome === 'answered' ? 'completed' : outcome, talkSeconds, nextSeq };
    },

    /**
     * Rings an agent offered by the routing workflow and connects the caller, recording the bridge. The
     * ids come from the workflow, so a retry after a dead worker finds the conversation (or its end) in
     * the event stream rather than ringing the agent again.
     */
    async connectAgent(input: ConnectAgentInput): Promise<DialAndBridgeResult> {
      return dialAndBridge(
        { ari, events, app },
        {
          caller: input,
          fromSeq: input.fromSeq,
          endpoint: input.endpoint,
          callerId: input.callerId,
          ringSeconds: input.ringSeconds,
          legId: input.legId,
          bridgeId: input.bridgeId,
          ringbackId: `${input.legId}-ringback-${Context.current().info.attempt}`,
          local: input.endpoint.startsWith('Local/'),
          recordAs: input.recordAs,
          resume: Context.current().info.attempt > 1,
          phase: input.phase,
          stopMoh: input.stopMoh,
        },
      );
    },

    /** Where the event stream is now: the start of reading for calls that have no channel yet. */
    async eventPosition(): Promise<number> {
      return events.position();
    },

    /** A campaign's call: dial and wait for the answer (and AMD's verdict); see dialOut. */
    async dialOut(input: DialOutInput): Promise<DialOutResult> {
      return dialOut(
        { ari, events, app, outboundDial, node, campaignHalted },
        input,
        Context.current().info.attempt > 1,
      );
    },

    /** One callback attempt, agent first; see dialAgentThenCustomer. */
    async callbackAttempt(input: AgentFirstParams): Promise<AgentFirstResult> {
      return dialAgentThenCustomer(
        { ari, events, app, outboundDial, node },
        input,
        Context.current().info.attempt > 1,
      );
    },

    /**
     * Records the caller (after a beep) until silence, `#`, the length limit or hangup. Asterisk keeps
     * the file in its recording store; `storeRecording` moves it into PostgreSQL.
     */
    async recordMessage(input: RecordMessageInput): Promise<RecordMessageResult> {
      const { base, attempt } = attemptIds();
      const name = `vm-${base}-${attempt}`.replace(/[^A-Za-z0-9_-]/g, '_');
      const state = { nextSeq: input.fromSeq };
      const cursor = await events.open(input.node, input.channelId, input.fromSeq);
      try {
        await ari.record(input.channelId, {
          name,
          maxDurationSeconds: input.maxSeconds,
          maxSilenceSeconds: 5,
          beep: input.beep,
        });
        let started = 0;
        for (;;) {
          const event = await nextOrGone((until) => readUntil(cursor, input.channelId, until, state), ari, [
            input.channelId,
          ]);
          // The caller's channel lost without an event (its Asterisk crashed or restarted): taken as a hang-up.
          if (!event) return { name: undefined, durationMs: 0, hungUp: true, nextSeq: state.nextSeq };
          if (event.type === 'RecordingStarted' && event.recording?.name === name) started = Date.now();
          const mine = event.recording?.name === name;
          if (mine && event.type === 'RecordingFinished') {
            const { durationMs, spoke } = recordingLength(event, started);
            return { name: spoke ? name : undefined, durationMs, hungUp: false, nextSeq: state.nextSeq };
          }
          if (mine && event.type === 'RecordingFailed') throw new Error(`recording ${name} failed`);
          if (isEnd(event)) {
            // Hanging up is how most voicemails end: what was said until then is the message.
            await ari.stopRecording(name).catch(() => undefined);
            const durationMs = started ? Date.now() - started : 0;
            return {
              name: durationMs > 0 ? name : undefined,
              durationMs,
              hungUp: true,
              nextSeq: state.nextSeq,
            };
          }
        }
      } finally {
        await cursor.close();
      }
    },
  };
}

/** Asterisk reports seconds, and with silence detection on, how many of them had speech. */
function recordingLength(event: AriEvent, startedAt: number): { durationMs: number; spoke: boolean } {
  const rec = event.recording as { duration?: number; talking_duration?: number } | undefined;
  const durationMs =
    typeof rec?.duration === 'number' ? rec.duration * 1000 : startedAt ? Date.now() - startedAt : 0;
  const spoke = typeof rec?.talking_duration === 'number' ? rec.talking_duration > 0 : durationMs > 0;
  return { durationMs, spoke };
}

export type CallControlActivities = ReturnType<typeof createCallControlActivities>;
