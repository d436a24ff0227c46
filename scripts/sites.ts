/**
 * `npm start -- --sites 2` (scripts/start.sh) brings up sites a and b with this: each site's infrastructure
 * (scripts/site.sh), the pair made (lib/sites/bring-up.ts), and each process's environment written to
 * `<state>/sites/<site>.env` (the site's own) and `<site>.takeover.env` (its takeover worker's), one
 * KEY=VALUE per line, for start.sh to spawn CTICloud's processes with.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import {
  pairSites,
  siteProcessEnv,
  startSiteInfrastructure,
  takeoverProcessEnv,
  type SitePlace,
} from '../lib/sites/bring-up';

const STATE = process.env.CTICLOUD_STATE ?? path.join(os.homedir(), '.cache', 'cticloud', 'state');
/** Sites a and b at indexes 1 and 2 of scripts/site.sh (the tests use 3 and 4). */
export const SITES: readonly [SitePlace, SitePlace] = [
  { site: 'a', index: 1 },
  { site: 'b', index: 2 },
];

const lines = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';

async function up(): Promise<void> {
  const config = loadConfig();
  const [envA, envB] = await Promise.all(SITES.map((s) => startSiteInfrastructure(s)));
  await pairSites(
    [
      { ...SITES[0], env: envA! },
      { ...SITES[1], env: envB! },
    ],
    config,
  );
  const dir = path.join(STATE, 'sites');
  mkdirSync(dir, { recursive: true });
  for (const [env, peer] of [
    [envA!, envB!],
    [envB!, envA!],
  ] as const) {
    writeFileSync(path.join(dir, `${env.SITE}.env`), lines(siteProcessEnv(env, peer)), { mode: 0o600 });
    // The witness scripts/start.sh runs next to the pair, unless .env names one elsewhere.
    const witness = { SITE_WITNESS_URL: config.SITE_WITNESS_URL ?? 'http://127.0.0.1:3009' };
    writeFileSync(
      path.join(dir, `${env.SITE}.takeover.env`),
      lines({ ...takeoverProcessEnv(env, peer), ...witness }),
      { mode: 0o600 },
    );
  }
}

if (process.argv[2] !== 'up') {
  console.error('usage: tsx scripts/sites.ts up');
  process.exit(2);
}
up().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
