import { Context } from '@temporalio/activity';
import type { AriCommands } from '../asterisk/ari-commands';
import { ChannelGoneError } from '../asterisk/ari-errors';
import type { AriEvent } from '../asterisk/ari-events';
import { DIALED_LEG_ARG } from '../workflows/call-contract';
import { isEnd, nextEvent, type ChannelRef } from './ari';
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

export interface HoldInput extends ChannelRef {
  fromSeq: number;
  holdSeconds: number;
  mohClass: string;
}

export interface CallControlDeps {
  ari: AriCommands;
  events: ChannelEventSource;
  /** The Stasis app the dialed legs enter (not routed as new calls: they carry DIALED_LEG_ARG). */
  app: string;
  /** Dial string for numbers, `{number}` replaced, e.g. `PJSIP/{number}@trunk`. */
  outboundDial: string;
}

/** Q.850 causes of a leg that ended before it answered. */
const BUSY_CAUSES = new Set([17, 21]);
const NO_ANSWER_CAUSES = new Set([18, 19]);

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

export function createCallControlActivities({ ari, events, app, outboundDial }: CallControlDeps) {
  return {
    /**
     * Dials another party with ringback for the caller, bridges the two when it answers and waits until
     * the conversation ends. The dialed leg's id is derived from the attempt, so a retry hangs up the
     * previous attempt's leg instead of leaving it ringing.
     */
    async transfer(input: TransferInput): Promise<TransferResult> {
      const { base, attempt } = attemptIds();
      for (let a = 1; a < attempt; a++) await ari.hangup(`${base}-leg-${a}`);
      const legId = `${base}-leg-${attempt}`;
      const bridgeId = `${base}-bridge-${attempt}`;
      const state = { nextSeq: input.fromSeq };
      // A Local channel's far half (`;2`) is where the dialed party's busy or ringing shows.
      const farHalf = input.to.kind === 'number' && outboundDial.startsWith('Local/') ? [`${legId};2`] : [];
      const cursor = await events.open(input.node, [input.channelId, legId, ...farHalf], input.fromSeq);
      const result = (outcome: TransferResult['outcome'], talkSeconds = 0): TransferResult => ({
        outcome,
        talkSeconds,
        nextSeq: state.nextSeq,
      });
      try {
        const ringback = `${base}-ringback-${attempt}`;
        await ari.play(input.channelId, ['tone:ring'], ringback).catch(goneAsHangup);
        await ari.originate({
          endpoint:
            input.to.kind === 'sip'
              ? input.to.endpoint
              : outboundDial.replaceAll('{number}', input.to.number),
          app,
          appArgs: DIALED_LEG_ARG,
          channelId: legId,
          callerId: input.callerId,
          timeout: input.ringSeconds,
          formats: 'ulaw',
        });
        const dialedAt = Date.now();
        const ringUntil = dialedAt + (input.ringSeconds + 3) * 1000;
        let farState = '';
        for (;;) {
          const event = await readUntil(cursor, input.channelId, ringUntil, state);
          if (!event) {
            await ari.hangup(legId);
            await ari.stopPlayback(ringback);
            return result('no_answer');
          }
          const onLeg = event.channel?.id === legId;
          if (event.channel && event.channel.id !== input.channelId) farState = event.channel.state;
          if (event.channel?.id === input.channelId && isEnd(event)) {
            await ari.hangup(legId);
            return result('hangup');
          }
          const farGone = event.type === 'ChannelDestroyed' && farHalf.includes(event.channel?.id ?? '');
          if ((onLeg && event.type === 'ChannelDestroyed') || farGone) {
            const ringMs = Date.now() - dialedAt;
            let cause = event.cause ?? 0;
            // Each channel has its own consumer, so the far half's events may still be on their way:
            // its hangup cause is the one that tells busy from unanswered.
            if (onLeg && farHalf.length) {
              for (const waitUntil = Date.now() + 1000; ;) {
                const late = await readUntil(cursor, input.channelId, waitUntil, state);
                if (!late) break;
                if (late.channel?.id === farHalf[0]) farState = late.channel!.state;
                if (late.type === 'ChannelDestroyed' && late.channel?.id === farHalf[0]) {
                  cause = late.cause ?? cause;
                  break;
                }
              }
            }
            await ari.stopPlayback(ringback);
            return result(unanswered(cause, farState, ringMs, input.ringSeconds));
          }
          if (onLeg && event.type === 'StasisStart') break;
        }
        await ari.stopPlayback(ringback);
        await ari.createBridge(bridgeId);
        await ari.addToBridge(bridgeId, [input.channelId, legId]);
        const connectedAt = Date.now();
        const talked = () => Math.round((Date.now() - connectedAt) / 1000);
        for (;;) {
          const event = await readUntil(cursor, input.channelId, Number.POSITIVE_INFINITY, state);
          if (!event || !isEnd(event)) continue;
          if (event.channel?.id === legId || farHalf.includes(event.channel?.id ?? '')) {
            return result('completed', talked());
          }
          await ari.hangup(legId);
          return result('hangup', talked());
        }
      } finally {
        await ari.destroyBridge(bridgeId).catch(() => undefined);
        await cursor.close();
      }
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
          const event = await readUntil(cursor, input.channelId, Number.POSITIVE_INFINITY, state);
          if (!event) continue;
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

    /**
     * The minimal queue until the ACD lands: hold music for the caller until the wait is over (overflow)
     * or the caller leaves. No agent serves it yet, so it never answers `served`.
     */
    async holdInQueue(input: HoldInput): Promise<{ outcome: 'overflow' | 'hangup'; nextSeq: number }> {
      const state = { nextSeq: input.fromSeq };
      const cursor = await events.open(input.node, input.channelId, input.fromSeq);
      try {
        await ari.startMoh(input.channelId, input.mohClass).catch(goneAsHangup);
        const until = Date.now() + input.holdSeconds * 1000;
        for (;;) {
          const event = await readUntil(cursor, input.channelId, until, state);
          if (!event) {
            await ari.stopMoh(input.channelId).catch(() => undefined);
            return { outcome: 'overflow', nextSeq: state.nextSeq };
          }
          if (isEnd(event)) return { outcome: 'hangup', nextSeq: state.nextSeq };
        }
      } finally {
        await cursor.close();
      }
    },
  };
}

/**
 * Why a dialed leg ended before answering. The cause says it on a SIP trunk; through a Local channel the
 * cause is lost (0) and the far half's last state (Busy, Ringing) and the ring time tell instead.
 */
function unanswered(
  cause: number,
  farState: string,
  ringMs: number,
  ringSeconds: number,
): TransferResult['outcome'] {
  if (BUSY_CAUSES.has(cause) || farState === 'Busy') return 'busy';
  if (NO_ANSWER_CAUSES.has(cause) || ringMs >= ringSeconds * 1000 - 500) return 'no_answer';
  return 'failed';
}

/** A channel gone before the command is the caller hanging up; the event read next says so. */
function goneAsHangup(err: unknown): void {
  if (!(err instanceof ChannelGoneError)) throw err;
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
