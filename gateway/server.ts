import { loadConfig } from '../lib/config';
import { buildGateway } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildGateway({ config });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(0));
    });
  }
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
