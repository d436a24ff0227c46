import type { AriCommands } from '../asterisk/ari-commands';
import { ChannelGoneError } from '../asterisk/ari-errors';
import type { AriEvent } from '../asterisk/ari-events';
import { DIALED_LEG_ARG } from '../workflows/call/contract';
import { isEnd, nextEvent } from './ari';
import { nextOrGone } from './channel-gone';
import type { ChannelEventCursor, ChannelEventSource } from './channel-events';

export interface DialAndBridgeParams {
  caller: { channelId: string; node: string };
  /** Where the caller's events are read from. */
  fromSeq: number;
  /** Asterisk dial string of the party. */
  endpoint: string;
  callerId?: string;
  ringSeconds: number;
  legId: string;
  bridgeId: string;
  ringbackId: string;
  /** The dial string is a Local channel: its far half (`;2`) tells busy from no answer. */
  local: boolean;
  /** Record the conversation from the bridge under this name (channel recording would block commands). */
  recordAs?: string;
  /** A retry of the same conversation: find the leg and bridge of the previous attempt instead of dialing. */
  resume: boolean;
  /**
   * `ring`: return once the party answers (outcome `answered`), without bridging; `talk`: the party has
   * answered, bridge and wait for the end. Both when absent. Split so the workflow knows when the
   * conversation starts (supervisors monitor it, transfers end it).
   */
  phase?: 'ring' | 'talk';
  /** Stop the caller's hold music before the ringback starts. */
  stopMoh?: boolean;
}

export interface DialAndBridgeResult {
  /** completed: the party answered and hung up first; hangup: the caller hung up; answered: ring phase done. */
  outcome: 'answered' | 'completed' | 'busy' | 'no_answer' | 'failed' | 'hangup';
  answered: boolean;
  talkSeconds: number;
  nextSeq: number;
}

/** Q.850 causes of a leg that ended before it answered. */
const BUSY_CAUSES = new Set([17, 21]);
const NO_ANSWER_CAUSES = new Set([18, 19]);

/**
 * Dials a party for a caller in Stasis with ringback, bridges the two when it answers (recording the bridge
 * if asked) and waits until either hangs up. Everything is read from the event stream from `fromSeq`, so a
 * retry after a dead worker sees what already happened (the leg answered, or hung up) and carries on from
 * there instead of dialing the party a second time.
 */
export async function dialAndBridge(
  { ari, events, app }: { ari: AriCommands; events: ChannelEventSource; app: string },
  p: DialAndBridgeParams,
): Promise<DialAndBridgeResult> {
  const farHalf = p.local ? `${p.legId};2` : undefined;
  const callerId = p.caller.channelId;
  // A first try dials before it opens its cursor: the cursor starts at fromSeq, so it misses nothing, and the
  // party's phone rings without waiting for 6-9 JetStream API calls. A retry reads first (it may not dial).
  const dialsAtOnce = !p.resume && p.phase !== 'talk';
  if (dialsAtOnce) await ringAndOriginate({ ari, app }, p);
  const cursor = await events.open(
    p.caller.node,
    [callerId, p.legId, ...(farHalf ? [farHalf] : [])],
    p.fromSeq,
  );
  const state = { nextSeq: p.fromSeq };
  let answered = false;
  let connectedAt = 0;
  const result = (outcome: DialAndBridgeResult['outcome']): DialAndBridgeResult => ({
    outcome,
    answered,
    talkSeconds: connectedAt ? Math.round((Date.now() - connectedAt) / 1000) : 0,
    nextSeq: state.nextSeq,
  });
  const read = async (until: number): Promise<AriEvent | undefined> => {
    const next = await nextEvent(cursor, until);
    if (next && next.event.channel?.id === callerId) state.nextSeq = next.seq + 1;
    return next?.event;
  };
  try {
    // What a previous attempt left: the stream up to now says whether the leg was dialed, answered, gone.
    const seen: AriEvent[] = [];
    if (p.resume) {
      for (let e = await read(Date.now() + 300); e; e = await read(Date.now() + 300)) seen.push(e);
    }
    const legEvents = seen.filter((e) => e.channel?.id === p.legId);
    const callerGone = seen.some((e) => e.channel?.id === callerId && isEnd(e));
    answered = legEvents.some((e) => e.type === 'StasisStart');
    const legGone = legEvents.some((e) => e.type === 'ChannelDestroyed');
    if (callerGone) {
      await ari.hangup(p.legId);
      return result('hangup');
    }
    if (legGone) return result(answered || p.phase === 'talk' ? 'completed' : 'failed');
    if (p.phase === 'talk') answered = true;

    let farState = '';
    if (!dialsAtOnce && !legEvents.length && p.phase !== 'talk') await ringAndOriginate({ ari, app }, p);
    const dialedAt = Date.now();
    while (!answered) {
      const event = await read(dialedAt + (p.ringSeconds + 3) * 1000);
      if (!event) {
        await ari.hangup(p.legId);
        await ari.stopPlayback(p.ringbackId);
        return result('no_answer');
      }
      const onLeg = event.channel?.id === p.legId;
      if (event.channel && event.channel.id !== callerId) farState = event.channel.state;
      if (event.channel?.id === callerId && isEnd(event)) {
        await ari.hangup(p.legId);
        return result('hangup');
      }
      if (
        (onLeg && event.type === 'ChannelDestroyed') ||
        (farHalf && isEnd(event) && event.channel?.id === farHalf)
      ) {
        const ringMs = Date.now() - dialedAt;
        let cause = event.cause ?? 0;
        // Each channel has its own consumer: the far half's hangup cause may still be on its way.
        if (onLeg && farHalf) {
          for (let late = await read(Date.now() + 1000); late; late = await read(Date.now() + 1000)) {
            if (late.channel?.id === farHalf) farState = late.channel.state;
            if (late.type === 'ChannelDestroyed' && late.channel?.id === farHalf) {
              cause = late.cause ?? cause;
              break;
            }
          }
        }
        await ari.stopPlayback(p.ringbackId);
        await ari.hangup(p.legId);
        return result(unanswered(cause, farState, ringMs, p.ringSeconds));
      }
      if (onLeg && event.type === 'StasisStart') answered = true;
    }
    await ari.stopPlayback(p.ringbackId);
    if (p.phase === 'ring') return result('answered');
    await ari.createBridge(p.bridgeId);
    // Either may have hung up since it answered: the event read next says which.
    await ari.addToBridge(p.bridgeId, [callerId, p.legId]).catch(() => undefined);
    if (p.recordAs) await ari.recordBridge(p.bridgeId, p.recordAs);
    connectedAt = Date.now();
    for (;;) {
      const event = await nextOrGone(read, ari, [callerId, p.legId]);
      if (!event) {
        // A leg its Asterisk lost without an event (a crash or restart, its site lost): the call is over.
        await ari.hangup(p.legId);
        return result('hangup');
      }
      if (!isEnd(event)) continue;
      if (event.channel?.id === p.legId || (farHalf && event.channel?.id === farHalf))
        return result('completed');
      if (event.channel?.id === callerId) {
        await ari.hangup(p.legId);
        return result('hangup');
      }
    }
  } finally {
    if (p.recordAs) await ari.stopRecording(p.recordAs).catch(() => undefined);
    await ari.destroyBridge(p.bridgeId).catch(() => undefined);
    await cursor.close();
  }
}

/**
 * Why a dialed leg ended before answering. The cause says it on a SIP trunk; through a Local channel the
 * cause is lost (0) and the far half's last state (Busy, Ringing) and the ring time tell instead.
 */
export function unanswered(
  cause: number,
  farState: string,
  ringMs: number,
  ringSeconds: number,
): DialAndBridgeResult['outcome'] {
  if (BUSY_CAUSES.has(cause) || farState === 'Busy') return 'busy';
  if (NO_ANSWER_CAUSES.has(cause) || ringMs >= ringSeconds * 1000 - 500) return 'no_answer';
  return 'failed';
}

/** A channel gone before the command is the caller hanging up; the event read next says so. */
/** Ringback for the caller and the party's leg, sent together: neither waits for the other. */
async function ringAndOriginate(
  { ari, app }: { ari: AriCommands; app: string },
  p: DialAndBridgeParams,
): Promise<void> {
  const ringback = async () => {
    // Music that already stopped (or never started) is no reason to fail the dial.
    if (p.stopMoh) await ari.stopMoh(p.caller.channelId).catch(() => undefined);
    await ari.play(p.caller.channelId, ['tone:ring'], p.ringbackId).catch(goneAsHangup);
  };
  await Promise.all([
    ringback(),
    ari.originate({
      endpoint: p.endpoint,
      app,
      appArgs: DIALED_LEG_ARG,
      channelId: p.legId,
      callerId: p.callerId,
      timeout: p.ringSeconds,
      formats: 'ulaw',
    }),
  ]);
}

export function goneAsHangup(err: unknown): void {
  if (!(err instanceof ChannelGoneError)) throw err;
}

export type { ChannelEventCursor };
