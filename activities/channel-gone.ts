import type { AriCommands } from '../asterisk/ari-commands';
import { ChannelGoneError } from '../asterisk/ari-errors';

/**
 * How long a wait with no deadline goes without an event before it asks Asterisk whether its channels still
 * exist. @default 10000
 */
export const GONE_CHECK_MS = 10_000;

/**
 * A channel found gone may have ended a moment ago, its ChannelDestroyed still on its way through the event
 * stream: read this long more before taking it for lost without an event. @default 2000
 */
export const GONE_GRACE_MS = 2000;

/**
 * The next event of a wait that has no deadline (a conversation, a voicemail), or undefined once one of
 * `channelIds` no longer exists on its Asterisk. An Asterisk that crashed or restarted (its site lost, then
 * back) took its channels without a ChannelDestroyed, so the event stream never says they ended, and an
 * activity resumed afterwards would wait for ever. An Asterisk that does not answer is not taken for one that
 * lost the channels: the wait goes on.
 */
export async function nextOrGone<T>(
  read: (until: number) => Promise<T | undefined>,
  ari: Pick<AriCommands, 'getChannel'>,
  channelIds: readonly string[],
  checkEveryMs = GONE_CHECK_MS,
  graceMs = GONE_GRACE_MS,
): Promise<T | undefined> {
  for (;;) {
    const event = await read(Date.now() + checkEveryMs);
    if (event !== undefined) return event;
    if (!(await anyGone(ari, channelIds))) continue;
    // A hang-up at the moment of the check: its events, read as they come, say who ended the call.
    return read(Date.now() + graceMs);
  }
}

async function anyGone(
  ari: Pick<AriCommands, 'getChannel'>,
  channelIds: readonly string[],
): Promise<boolean> {
  for (const channelId of channelIds) {
    try {
      await ari.getChannel(channelId);
    } catch (err) {
      if (err instanceof ChannelGoneError) return true;
    }
  }
  return false;
}
