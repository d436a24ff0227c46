/**
 * A wait with no deadline (a conversation, a voicemail, a supervisor listening) ends when its Asterisk lost
 * the channels without an event, as a crashed or restarted Asterisk does (activities/channel-gone.ts); an
 * Asterisk that does not answer, or channels that are still there, keep it waiting.
 */
import { nextOrGone } from '../../activities/channel-gone';
import { ChannelGoneError } from '../../asterisk/ari-errors';

/** A read that answers `events` in turn (undefined: nothing until the deadline), and counts its calls. */
function scriptedRead(events: (string | undefined)[]) {
  const calls: number[] = [];
  return {
    calls,
    read: async (until: number) => {
      calls.push(until);
      return events.shift();
    },
  };
}
/** An Asterisk whose channels are `alive`; `down` throws as an unreachable one does. */
const asterisk = (alive: Set<string>, down = false) => ({
  asked: [] as string[],
  async getChannel(channelId: string) {
    this.asked.push(channelId);
    if (down) throw new Error('connect ECONNREFUSED');
    if (!alive.has(channelId)) throw new ChannelGoneError('channels.get', channelId);
    return { id: channelId, state: 'Up' };
  },
});

test('an event is answered as it comes, without asking Asterisk', async () => {
  const { read } = scriptedRead(['ChannelDestroyed']);
  const ari = asterisk(new Set());
  expect(await nextOrGone(read, ari, ['a', 'b'], 10)).toBe('ChannelDestroyed');
  expect(ari.asked).toEqual([]);
});

test('quiet channels that still exist keep the wait going, until an event comes', async () => {
  const { read, calls } = scriptedRead([undefined, undefined, 'ChannelHangupRequest']);
  const ari = asterisk(new Set(['a', 'b']));
  expect(await nextOrGone(read, ari, ['a', 'b'], 10)).toBe('ChannelHangupRequest');
  expect(calls).toHaveLength(3);
  expect(ari.asked).toEqual(['a', 'b', 'a', 'b']);
});

test('one leg gone without an event ends the wait', async () => {
  const { read, calls } = scriptedRead([undefined, undefined]);
  expect(await nextOrGone(read, asterisk(new Set(['a'])), ['a', 'b'], 10, 10)).toBeUndefined();
  // After the check, one more read for the events of a hang-up that raced it.
  expect(calls).toHaveLength(2);
});

test('a leg that ended just as Asterisk was asked is answered by its own event', async () => {
  const { read } = scriptedRead([undefined, 'ChannelDestroyed']);
  expect(await nextOrGone(read, asterisk(new Set(['a'])), ['a', 'b'], 10, 10)).toBe('ChannelDestroyed');
});

test('an Asterisk that does not answer is not taken for one that lost the channels', async () => {
  const { read, calls } = scriptedRead([undefined, undefined, 'StasisEnd']);
  expect(await nextOrGone(read, asterisk(new Set(), true), ['a'], 10)).toBe('StasisEnd');
  expect(calls).toHaveLength(3);
});
