/**
 * The witness of automatic site failover (lib/sites/witness.ts): `WITNESS_SITES=a=<url>,b=<url>
 * WITNESS_PORT=3009 tsx scripts/witness.ts`. Run it in a third place that reaches both sites.
 */
import { createWitness, parseWitnessSites } from '../lib/sites/witness';

const sites = parseWitnessSites(process.env.WITNESS_SITES ?? '');
const port = Number(process.env.WITNESS_PORT ?? 3009);
const host = process.env.WITNESS_HOST ?? '127.0.0.1';
const server = createWitness(sites);
server.listen(port, host, () =>
  console.log(`witness listening on http://${host}:${port} for ${[...sites.keys()].join(', ')}`),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => server.close(() => process.exit(0)));
