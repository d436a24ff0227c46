import { connect, type NatsConnection } from 'nats';
import { ChannelEventsLostError, JetStreamChannelEvents } from '../../activities/channel-events';
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
const consumerNames = async (channel?: string): Promise<string[]> => {
  const names: string[] = [];
  for await (const ci of (await nc.jetstreamManager()).consumers.list(ARI_STREAM)) {
    if (!channel || ci.config.filter_subject === channelSubject('ast1', channel)) names.push(ci.name);
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
