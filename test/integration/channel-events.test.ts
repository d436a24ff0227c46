import { connect, type NatsConnection } from 'nats';
import { ChannelEventsLostError, JetStreamChannelEvents } from '../../activities/channel-events';
import { SharedChannelEvents } from '../../activities/channel-event-reader';
import { ARI_STREAM, channelSubject } from '../../asterisk/ari-events';
import { ensureAriStream } from '../../asterisk/event-log';
import { loadConfig } from '../../lib/config';

const config = loadConfig();
let nc: NatsConnection;
beforeAll(async () => {
  nc = await connect({ servers: config.NATS_URL });
  await ensureAriStream(nc);
});
afterAll(async () => {
  await nc?.close();
});

/** Consumers reading one channel's subject: other processes' consumers come and go meanwhile. */
const consumerNames = async (channel?: string, node = 'ast1'): Promise<string[]> => {
  const names: string[] = [];
  for await (const ci of (await nc.jetstreamManager()).consumers.list(ARI_STREAM)) {
    if (!channel || ci.config.filter_subject === channelSubject(node, channel)) names.push(ci.name);
  }
  return names;
};

test('a cursor reads its channel from the given sequence and deletes its consumer on close', async () => {
  const js = nc.jetstream();
  const channel = `cursor-${Date.now()}`;
  const first = await js.publish(
    channelSubject('ast1', channel, 'ChannelDtmfReceived'),
    JSON.stringify({ type: 'ChannelDtmfReceived', digit: '1', timestamp: '' }),
  );
  await js.publish(
    channelSubject('ast1', 'someone-else', 'ChannelDtmfReceived'),
    JSON.stringify({ type: 'ChannelDtmfReceived', digit: '9', timestamp: '' }),
  );
  await js.publish(
    channelSubject('ast1', channel, 'ChannelDtmfReceived'),
    JSON.stringify({ type: 'ChannelDtmfReceived', digit: '2', timestamp: '' }),
  );
  const cursor = await new JetStreamChannelEvents(js, await nc.jetstreamManager()).open(
    'ast1',
    channel,
    first.seq,
  );
  expect(await consumerNames(channel)).toHaveLength(1);
  expect((await cursor.next(2000))?.event.digit).toBe('1');
  expect((await cursor.next(2000))?.event.digit).toBe('2');
  expect(await cursor.next(300)).toBeUndefined();
  await cursor.close();
  expect(await consumerNames(channel)).toEqual([]);
});

test('a cursor whose consumer disappears (NATS restarted) fails instead of waiting forever', async () => {
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const channel = `cursor-lost-${Date.now()}`;
  const cursor = await new JetStreamChannelEvents(js, jsm).open('ast1', channel, 1);
  const created = await consumerNames(channel);
  expect(created).toHaveLength(1);
  await jsm.consumers.delete(ARI_STREAM, created[0]!);

  const started = Date.now();
  let error: unknown;
  while (!error && Date.now() - started < 60_000) {
    await cursor.next(1000).catch((e: unknown) => (error = e));
  }
  expect(error).toBeInstanceOf(ChannelEventsLostError);
  console.log(`lost consumer detected after ${Date.now() - started} ms`);
  await cursor.close();
});

describe('one shared reader per node (SharedChannelEvents)', () => {
  const dtmf = (digit: string) => JSON.stringify({ type: 'ChannelDtmfReceived', digit, timestamp: '' });
  const destroyed = (id: string) =>
    JSON.stringify({ type: 'ChannelDestroyed', timestamp: new Date().toISOString(), channel: { id } });
  const node = `shared${process.pid}`;

  test('serves cursors from its buffers without a consumer each, and falls back for what it cannot vouch for', async () => {
    const js = nc.jetstream();
    const ownConsumers = new JetStreamChannelEvents(js, await nc.jetstreamManager());
    const channel = `shared-${Date.now()}`;
    const before = await js.publish(channelSubject(node, channel, 'ChannelDtmfReceived'), dtmf('0'));
    const events = new SharedChannelEvents(js, ownConsumers, { keepAfterEndMs: 200 });
    try {
      await events.watch(node);
      const first = await js.publish(channelSubject(node, channel, 'ChannelDtmfReceived'), dtmf('1'));
      await js.publish(channelSubject(node, 'someone-else', 'ChannelDtmfReceived'), dtmf('9'));

      // From a sequence the reader has seen all of: buffered events, then live ones; no consumer made.
      const cursor = await events.open(node, channel, first.seq);
      expect(await consumerNames(channel, node)).toEqual([]);
      expect((await cursor.next(2000))?.event.digit).toBe('1');
      await js.publish(channelSubject(node, channel, 'ChannelDtmfReceived'), dtmf('2'));
      expect((await cursor.next(2000))?.event.digit).toBe('2');
      expect(await cursor.next(300)).toBeUndefined();
      await cursor.close();
      // A channel dialed after the cursor's sequence and not seen yet: served, its events arrive live.
      const leg = `${channel}-leg`;
      const both = await events.open(node, [channel, leg], first.seq);
      await js.publish(channelSubject(node, leg, 'ChannelDtmfReceived'), dtmf('5'));
      const read: string[] = [];
      for (let e = await both.next(2000); e; e = await both.next(300)) read.push(e.event.digit!);
      expect(read).toEqual(['1', '2', '5']);
      await both.close();
      expect(events.served).toEqual({ shared: 2, fallback: 0 });

      // From before the reader started: the fallback's own consumer reads it, from that sequence.
      const old = await events.open(node, channel, before.seq);
      expect(events.served.fallback).toBe(1);
      expect(await consumerNames(channel, node)).toHaveLength(1);
      expect((await old.next(2000))?.event.digit).toBe('0');
      await old.close();

      // Ended and dropped: a later cursor on it (a retried activity) falls back too, even from a recent
      // sequence, and a late event does not start a buffer that would look complete.
      await js.publish(channelSubject(node, channel, 'ChannelDestroyed'), destroyed(channel));
      await new Promise((r) => setTimeout(r, 1600));
      const late = await js.publish(channelSubject(node, channel, 'ChannelDtmfReceived'), dtmf('7'));
      const afterEnd = await events.open(node, channel, late.seq);
      expect(events.served.fallback).toBe(2);
      expect((await afterEnd.next(2000))?.event.digit).toBe('7');
      await afterEnd.close();
    } finally {
      events.close();
    }
  });
});
