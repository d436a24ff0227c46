import type { RawAriClient } from 'ari-client';
import { AriEventStream } from '../../asterisk/ari';
import { AriCommands } from '../../asterisk/ari-commands';
import type { AriEvent } from '../../asterisk/ari-events';
import { loadConfig } from '../../lib/config';

const config = loadConfig();
const app = `${config.ARI_APP}-adapter`;
const options = { url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD, app };

const until = async (check: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

const innerClient = (stream: AriEventStream): RawAriClient =>
  (stream as unknown as { client: RawAriClient }).client;

describe('the ARI event stream on a real Asterisk', () => {
  let stream: AriEventStream;
  const events: AriEvent[] = [];

  beforeEach(async () => {
    events.length = 0;
    stream = new AriEventStream({ ...options, minBackoffMs: 50 });
    stream.on('event', (e) => events.push(e));
    stream.start();
    await until(() => stream.isConnected);
  });
  afterEach(async () => {
    await stream.stop();
  });

  /** A channel parked in our app: ringing Local channel answered by the Wait() dialplan. */
  const originateIntoApp = async (ari: AriCommands, id: string): Promise<void> => {
    await ari.originate({
      endpoint: 'Local/100@bench-dialplan/n',
      app,
      channelId: id,
      otherChannelId: `${id}-2`,
    });
  };

  test('after ari-client gives up reconnecting, the adapter builds a new client and events flow again', async () => {
    const before = innerClient(stream);
    // What ari-client emits after its 10th failed reconnect; with no timers of its own left, it is done.
    before.emit('WebSocketMaxRetries', new Error('simulated give-up'));
    await until(
      () => innerClient(stream) !== undefined && innerClient(stream) !== before && stream.isConnected,
    );

    const ari = new AriCommands(innerClient(stream));
    await originateIntoApp(ari, 'adapter-rebuilt');
    await until(() => events.some((e) => e.type === 'StasisStart' && e.channel?.id === 'adapter-rebuilt'));
    await ari.hangup('adapter-rebuilt');
  });

  test('a dropped WebSocket is reconnected and the app keeps receiving', async () => {
    const client = innerClient(stream) as RawAriClient & { _ws: { terminate(): void } };
    client._ws.terminate();
    await until(() => !stream.isConnected, 5000);
    await until(() => stream.isConnected);
    const ari = new AriCommands(innerClient(stream));
    await originateIntoApp(ari, 'adapter-reconnected');
    await until(() =>
      events.some((e) => e.type === 'StasisStart' && e.channel?.id === 'adapter-reconnected'),
    );
    await ari.hangup('adapter-reconnected');
  });

  test('per-channel listeners do not accumulate: they are pruned when the channel is destroyed', async () => {
    const client = innerClient(stream) as RawAriClient & {
      Channel(id: string): { on(e: string, f: () => void): void };
    };
    const ari = new AriCommands(client);
    const baseline = stream.listenerFootprint();
    for (let i = 0; i < 5; i++) {
      const id = `adapter-leak-${i}`;
      // What ari-client's own examples do; each call leaves a listener keyed by the channel id.
      client.Channel(id).on('ChannelDtmfReceived', () => undefined);
      await originateIntoApp(ari, id);
      await until(() => events.some((e) => e.type === 'StasisStart' && e.channel?.id === id));
      await ari.hangup(id);
    }
    await until(
      () =>
        events.filter((e) => e.type === 'ChannelDestroyed' && /^adapter-leak-\d$/.test(e.channel!.id))
          .length === 5,
    );
    expect(stream.listenerFootprint()).toBe(baseline);
  });

  test('stop() while still connecting resolves and leaves no app registered', async () => {
    const early = new AriEventStream({ ...options, app: `${app}-early-stop` });
    early.start();
    await early.stop();
    const res = await fetch(`${config.ARI_URL}/ari/applications/${app}-early-stop`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${config.ARI_USER}:${config.ARI_PASSWORD}`).toString('base64')}`,
      },
    });
    expect(res.status).toBe(404);
  });
});
