import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AriCommands } from '../asterisk/ari-commands';
import { ChannelGoneError } from '../asterisk/ari-errors';
import type { AriEvent } from '../asterisk/ari-events';
import type { ChannelEventCursor, ChannelEventSource } from './channel-events';

export interface ChannelRef {
  channelId: string;
  node: string;
}

export interface CollectDigitsInput extends ChannelRef {
  /** Stream sequence to read the channel's events from: digits typed ahead since then count. */
  fromSeq: number;
  /** Played first; the first digit stops it (barge-in). */
  prompt: string[];
  maxDigits: number;
  terminator: string;
  firstDigitTimeoutMs: number;
  interDigitTimeoutMs: number;
}

export interface CollectDigitsResult {
  digits: string;
  endedBy: 'max_digits' | 'terminator' | 'timeout' | 'hangup';
  /** Where the next reader should start: just after the last event this one consumed. */
  nextSeq: number;
}

export interface PlayMediaInput extends ChannelRef {
  fromSeq: number;
  media: string[];
}

export interface PlayMediaResult {
  outcome: 'finished' | 'hangup';
  /**
   * Index of the media item playing when the caller hung up (`media.length` once all finished): a play list
   * of several flow nodes (domain/flow/play-list.ts) keeps the nodes the caller reached. Absent from
   * results recorded before play lists.
   */
  reached?: number;
  /** When each item reached started (ISO), by its PlaybackStarted as this worker saw it. */
  startedAt?: string[];
}

export interface AriActivityDeps {
  ari: AriCommands;
  events: ChannelEventSource;
}

const HEARTBEAT_MS = 1000;
export const isEnd = (e: AriEvent): boolean => e.type === 'StasisEnd' || e.type === 'ChannelDestroyed';

/** How long after a failed playback the channel's end is waited for. @default 1 second */
const END_AFTER_FAILED_PLAYBACK_MS = 1000;

/** Whether the channel ends within END_AFTER_FAILED_PLAYBACK_MS (events of other kinds are passed over). */
async function endsSoon(cursor: ChannelEventCursor): Promise<boolean> {
  const until = Date.now() + END_AFTER_FAILED_PLAYBACK_MS;
  for (let next = await nextEvent(cursor, until); next; next = await nextEvent(cursor, until)) {
    if (isEnd(next.event)) return true;
  }
  return false;
}

/** Non-retryable: a channel that is gone stays gone. */
function channelGone(err: unknown): never {
  if (err instanceof ChannelGoneError) {
    throw ApplicationFailure.create({ type: 'ChannelGone', message: err.message, nonRetryable: true });
  }
  throw err;
}

/** Reads events until `until` is reached, heartbeating and honouring cancellation. */
export async function nextEvent(cursor: ChannelEventCursor, until: number) {
  const ctx = Context.current();
  for (;;) {
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    const left = until - Date.now();
    if (left <= 0) return undefined;
    const next = await cursor.next(Math.min(left, HEARTBEAT_MS));
    ctx.heartbeat();
    if (next) return next;
  }
}

/**
 * What a first try left in the stream, for a retry to carry on from: every event until the stream has been
 * quiet for `quietMs`, in stream order. A cursor over several channels merges their consumers as they
 * deliver, so their events can arrive out of order; sorted, a customer's answer comes after the agent's.
 * @default quietMs 1000
 */
export async function replayFirstTry(cursor: ChannelEventCursor, quietMs = 1000) {
  const seen: NonNullable<Awaited<ReturnType<typeof nextEvent>>>[] = [];
  for (
    let e = await nextEvent(cursor, Date.now() + quietMs);
    e;
    e = await nextEvent(cursor, Date.now() + quietMs)
  )
    seen.push(e);
  return seen.sort((a, b) => a.seq - b.seq);
}

export function createAriActivities({ ari, events }: AriActivityDeps) {
  /**
   * A playback id per attempt: a retry re-reads the channel's events from the start, where the previous
   * attempt's PlaybackFinished must not pass for its own. The previous attempts' playbacks are stopped
   * first, so a retried prompt does not talk over itself.
   */
  const startPlayback = async (
    channelId: string,
    media: readonly string[],
    suffix: string,
  ): Promise<string> => {
    const info = Context.current().info;
    const base = `${info.workflowExecution?.runId ?? 'standalone'}-${info.activityId}-${suffix}`;
    for (let attempt = 1; attempt < info.attempt; attempt++) await ari.stopPlayback(`${base}-${attempt}`);
    const id = `${base}-${info.attempt}`;
    await ari.play(channelId, media, id).catch(channelGone);
    return id;
  };

  return {
    async answer({ channelId }: ChannelRef): Promise<void> {
      await ari.answer(channelId).catch(channelGone);
    },

    /** Hold music from the class's files, until stopMoh. */
    async startMoh({ channelId, mohClass }: ChannelRef & { mohClass: string }): Promise<void> {
      await ari.startMoh(channelId, mohClass).catch(channelGone);
    },

    async stopMoh({ channelId }: ChannelRef): Promise<void> {
      await ari.stopMoh(channelId).catch(channelGone);
    },

    async hangup({ channelId, reason }: ChannelRef & { reason?: string }): Promise<void> {
      await ari.hangup(channelId, reason);
    },

    async playMedia({ channelId, node, fromSeq, media }: PlayMediaInput): Promise<PlayMediaResult> {
      // The prompt first, the cursor after: a cursor starts at a stream sequence, so opening it later misses
      // nothing, and the caller hears the prompt without waiting for the consumer's three API round trips.
      const id = await startPlayback(channelId, media, 'play');
      const cursor = await events.open(node, channelId, fromSeq);
      // Asterisk plays a list back to back: PlaybackContinuing when an item ends, PlaybackStarted for each item.
      const startedAt: string[] = [];
      try {
        for (;;) {
          const next = await nextEvent(cursor, Date.now() + 10 * 60_000);
          if (!next) throw new Error(`playback ${id} never finished`);
          const reached = Math.max(0, startedAt.length - 1);
          if (isEnd(next.event)) return { outcome: 'hangup', reached, startedAt };
          if (next.event.playback?.id !== id) continue;
          const { type } = next.event;
          if (type === 'PlaybackStarted') startedAt.push(new Date().toISOString());
          else if (type === 'PlaybackFinished') {
            // A hangup stops the playback first ('failed'), and the channel's end follows within a moment:
            // a list cut short is not a list played.
            if (next.event.playback?.state === 'failed' && (await endsSoon(cursor))) {
              return { outcome: 'hangup', reached, startedAt };
            }
            return { outcome: 'finished', reached: media.length, startedAt };
          }
        }
      } finally {
        await cursor.close();
      }
    },

    async collectDigits(input: CollectDigitsInput): Promise<CollectDigitsResult> {
      const { channelId, node, fromSeq, prompt, maxDigits, terminator } = input;
      // The prompt before the cursor, as in playMedia: no event is missed, the prompt starts sooner.
      const id = prompt.length > 0 ? await startPlayback(channelId, prompt, 'prompt') : '';
      const cursor = await events.open(node, channelId, fromSeq);
      let digits = '';
      let nextSeq = fromSeq;
      let prompting = prompt.length > 0;
      const done = (endedBy: CollectDigitsResult['endedBy']): CollectDigitsResult => ({
        digits,
        endedBy,
        nextSeq,
      });
      try {
        // While the prompt plays there is no timeout: it ends with PlaybackFinished or the first digit.
        let deadline = prompting ? Number.POSITIVE_INFINITY : Date.now() + input.firstDigitTimeoutMs;
        for (;;) {
          const next = await nextEvent(cursor, prompting ? Date.now() + 10 * 60_000 : deadline);
          if (!next) return done('timeout');
          const { event, seq } = next;
          if (isEnd(event)) return done('hangup');
          if (event.type === 'PlaybackFinished' && event.playback?.id === id) {
            prompting = false;
            if (!digits) deadline = Date.now() + input.firstDigitTimeoutMs;
            continue;
          }
          if (event.type !== 'ChannelDtmfReceived' || !event.digit) continue;
          nextSeq = seq + 1;
          if (prompting) {
            prompting = false;
            await ari.stopPlayback(id);
          }
          if (event.digit === terminator) return done('terminator');
          digits += event.digit;
          if (digits.length >= maxDigits) return done('max_digits');
          deadline = Date.now() + input.interDigitTimeoutMs;
        }
      } finally {
        await cursor.close();
      }
    },
  };
}

export type AriActivities = ReturnType<typeof createAriActivities>;
