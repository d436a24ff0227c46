import { AriEventStream, connectAri } from '../asterisk/ari';
import { AriCommands } from '../asterisk/ari-commands';
import { loadConfig } from '../lib/config';

/** The benchmark's baseline: an ARI app that answers every call the moment StasisStart arrives. */
async function main(): Promise<void> {
  const config = loadConfig();
  const options = { url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD };
  const commands = new AriCommands(await connectAri(options));
  const events = new AriEventStream({ ...options, app: 'bench-bare' });
  events.on('event', (event) => {
    if (event.type === 'StasisStart' && event.channel) {
      commands.answer(event.channel.id).catch(() => undefined);
    }
  });
  events.on('connected', () => console.log('bare ARI app ready'));
  events.start();
  process.once('SIGTERM', () => void events.stop().then(() => process.exit(0)));
}

void main();
