import { Context } from '@temporalio/activity';
import type { AriCommands } from '../asterisk/ari-commands';
import type { AriEvent } from '../asterisk/ari-events';
import { CAMPAIGN_LEG_ARG } from '../workflows/campaign/contract';
import { nextEvent, replayFirstTry } from './ari';
import type { ChannelEventSource } from './channel-events';
import { unanswered } from './dial-bridge';

export interface DialOutInput {
  /** The channel id to give the call: the attempt's, so a retry finds it. */
  legId: string;
  number: string;
  callerId: string;
  ringSeconds: number;
  /** Run Asterisk's AMD() on the answered call first (dialplan context cticloud-amd). */
  amd: boolean;
  /** Stream position before the dial. */
  fromSeq: number;
  /** Wait until then (ISO) before dialing: the campaign's slot for this call. */
  notBefore?: string;
  /** The campaign the call is for: it is not dialed once the campaign is paused or stopped. */
  campaignId?: string;
}

export interface DialOutResult {
  /** `not_dialed`: the campaign was paused or stopped before the slot. */
  outcome: 'answered' | 'busy' | 'no_answer' | 'failed' | 'not_dialed';
  /** When the call was placed (ISO). */
  dialedAt?: string;
  /** AMD's verdict when it ran: HUMAN, MACHINE, NOTSURE, HANGUP. */
  amd?: string;
  /** The Asterisk the call is on and where its events continue after the answer. */
  node: string;
  nextSeq: number;
}

/**
 * Dials a number for a campaign and waits until the callee answers (and AMD has judged, when on) or the
 * call fails. The answered call is in our Stasis app, marked so the router leaves it to the attempt's
 * workflow. A retry (dead worker) does not dial again when the stream shows the call was already placed:
 * it carries on from the first try's events, and reports the outcome of a call that already ended.
 */
export async function dialOut(
  deps: {
    ari: AriCommands;
    events: ChannelEventSource;
    app: string;
    outboundDial: string;
    node: string;
    /** Whether a campaign is halted (paused or stopped): then its calls are not placed. */
    campaignHalted?: (campaignId: string) => Promise<boolean>;
  },
  input: DialOutInput,
  retry: boolean,
): Promise<DialOutResult> {
  const { ari, events, app, outboundDial, node } = deps;
  const farHalf = outboundDial.startsWith('Local/') ? `${input.legId};2` : undefined;
  const cursor = await events.open(node, [input.legId, ...(farHalf ? [farHalf] : [])], input.fromSeq);
  // A retry first replays what its first try left in the stream: whether the call was placed, answered or
  // already over. Asking Asterisk whether the channel still exists cannot tell "never placed" from "placed
  // and already ended", and dialing again in the second case called the customer twice.
  const replayed: { event: AriEvent; seq: number }[] = [];
  const read = async (until: number): Promise<{ event: AriEvent; seq: number } | undefined> =>
    replayed.shift() ?? nextEvent(cursor, until);
  try {
    if (retry) replayed.push(...(await replayFirstTry(cursor)));
    const first = replayed.find(
      (e) => e.event.channel?.id === input.legId || e.event.channel?.id === farHalf,
    );
    /** When this try sent the originate: the moment the call was placed (the campaign's pace counts it). */
    let sentAt = NaN;
    if (!first) {
      if (input.notBefore) await waitUntil(Date.parse(input.notBefore));
      if (input.campaignId && (await deps.campaignHalted?.(input.campaignId))) {
        return { outcome: 'not_dialed', node, nextSeq: input.fromSeq };
      }
      const endpoint = outboundDial.replaceAll('{number}', input.number.replace(/^\+/, ''));
      sentAt = Date.now();
      await ari.originate(
        input.amd
          ? {
              endpoint,
              context: 'cticloud-amd',
              extension: 's',
              priority: 1,
              channelId: input.legId,
              callerId: input.callerId,
              timeout: input.ringSeconds,
              formats: 'ulaw',
              variables: { CTI_APP: app },
            }
          : {
              endpoint,
              app,
              appArgs: CAMPAIGN_LEG_ARG,
              channelId: input.legId,
              callerId: input.callerId,
              timeout: input.ringSeconds,
              formats: 'ulaw',
            },
      );
    }
    // A resumed dial counts its ring from when the first try placed it; a new one from when it was sent, not
    // from ARI's answer, which comes later by however busy Asterisk is (two calls a slot apart would look closer).
    const placedAt = first ? Date.parse(first.event.timestamp) : sentAt;
    const dialedAt = Number.isFinite(placedAt) ? placedAt : Date.now();
    const dialedAtIso = new Date(dialedAt).toISOString();
    let farState = '';
    // AMD listens for up to a few seconds after the answer: allow for it.
    const until = dialedAt + (input.ringSeconds + (input.amd ? 8 : 3)) * 1000;
    for (;;) {
      const next = await read(until);
      if (!next) {
        await ari.hangup(input.legId);
        return { outcome: 'no_answer', node, nextSeq: input.fromSeq, dialedAt: dialedAtIso };
      }
      const { event, seq } = next;
      const id = event.channel?.id;
      if (id && id === farHalf) farState = event.channel!.state;
      if (id === input.legId && event.type === 'StasisStart') {
        return {
          outcome: 'answered',
          amd: input.amd ? event.args?.[1] : undefined,
          node,
          nextSeq: seq,
          dialedAt: dialedAtIso,
        };
      }
      if (event.type === 'ChannelDestroyed' && (id === input.legId || id === farHalf)) {
        let cause = event.cause ?? 0;
        if (farHalf && id === input.legId) {
          for (let late = await read(Date.now() + 1000); late; late = await read(Date.now() + 1000)) {
            if (late.event.channel?.id === farHalf) farState = late.event.channel.state;
            if (late.event.type === 'ChannelDestroyed' && late.event.channel?.id === farHalf) {
              cause = late.event.cause ?? cause;
              break;
            }
          }
        }
        await ari.hangup(input.legId);
        const outcome = unanswered(cause, farState, Date.now() - dialedAt, input.ringSeconds);
        return {
          outcome: outcome === 'busy' || outcome === 'no_answer' ? outcome : 'failed',
          node,
          nextSeq: seq,
          dialedAt: dialedAtIso,
        };
      }
    }
  } finally {
    await cursor.close();
  }
}

/** The longest slot a campaign gives: anything later is a bug, not a reason to hold an activity. */
const MAX_WAIT_MS = 10_000;

/** Waits in real time (durable timers are too coarse for call spacing), heartbeating and cancellable. */
async function waitUntil(at: number): Promise<void> {
  const ctx = Context.current();
  const until = Math.min(at, Date.now() + MAX_WAIT_MS);
  for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    ctx.heartbeat();
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 200)));
  }
}
