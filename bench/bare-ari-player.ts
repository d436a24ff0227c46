/**
 * The flow-interpreter benchmark's baseline: an ARI app with no workflow, no event log and no interpreter. It
 * answers on StasisStart, plays a fixed list of media one after another (the next on the previous one's
 * PlaybackFinished, straight from ARI's WebSocket) and hangs up after the last. What CTICloud adds between one
 * prompt and the next is the difference to this.
 *
 * Env: BENCH_PLAYER_APP (the Stasis app), BENCH_PLAYER_MEDIA (media URIs separated by `|`).
 */
import { AriEventStream, connectAri } from '../asterisk/ari';
import { AriCommands } from '../asterisk/ari-commands';
import { loadConfig } from '../lib/config';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = process.env.BENCH_PLAYER_APP ?? 'bench-bare-player';
  const media = (process.env.BENCH_PLAYER_MEDIA ?? 'sound:beep').split('|').filter(Boolean);
  const options = { url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD };
  const commands = new AriCommands(await connectAri(options));
  const events = new AriEventStream({ ...options, app });
  // The playback id carries the channel and the position in the list, so no per-call state is needed.
  const play = (channelId: string, index: number): Promise<void> =>
    index < media.length
      ? commands.play(channelId, [media[index]!], `${channelId}~${index}`)
      : commands.hangup(channelId);
  events.on('event', (event) => {
    if (event.type === 'StasisStart' && event.channel) {
      const { id } = event.channel;
      commands
        .answer(id)
        .then(() => play(id, 0))
        .catch(() => undefined);
    } else if (event.type === 'PlaybackFinished' && event.playback) {
      const [channelId, index] = event.playback.id.split('~');
      if (channelId && index !== undefined) play(channelId, Number(index) + 1).catch(() => undefined);
    }
  });
  events.on('connected', () => console.log(`bare ARI player ready (${app}, ${media.length} media)`));
  events.start();
  process.once('SIGTERM', () => void events.stop().then(() => process.exit(0)));
}

void main();
