/**
 * A site's process environments (lib/sites/bring-up.ts) and the takeover worker's configuration: what
 * scripts/site.sh prints becomes each process's settings, and a takeover worker without its cluster's name
 * is refused before it starts.
 */
import { ConfigError, loadConfig } from '../../lib/config';
import { parseSiteEnv, siteProcessEnv, takeoverProcessEnv } from '../../lib/sites/bring-up';

const printed = (site: string, index: number) =>
  [
    `SITE=${site}`,
    `DATABASE_URL=postgres://cticloud:pw@127.0.0.1:${5440 + index}/cticloud`,
    `NATS_URL=nats://127.0.0.1:${4222 + 10 * index}`,
    `NATS_MONITOR_PORT=${8300 + index}`,
    `ARI_URL=http://127.0.0.1:${8108 + index}`,
    `ASTERISK_NODE=site-${site}`,
    `TEMPORAL_ADDRESS=127.0.0.1:${6033 + 100 * index}`,
    `TEMPORAL_NAMESPACE=cticloud-${site}`,
    `TEMPORAL_CLUSTER=site-${site}`,
    `API_PORT=${3000 + 10 * index}`,
  ].join('\n');

test("a site's printed settings parse, log lines around them ignored", () => {
  const env = parseSiteEnv(`[cticloud] starting Temporal\n${printed('a', 1)}\n`);
  expect(env).toMatchObject({ SITE: 'a', TEMPORAL_ADDRESS: '127.0.0.1:6133', API_PORT: '3010' });
  expect(() => parseSiteEnv('SITE=a\n')).toThrow(/no DATABASE_URL/);
});

test("a site's own processes fall back to the peer's frontend and may fail over the peer's namespace", () => {
  const [a, b] = [parseSiteEnv(printed('a', 1)), parseSiteEnv(printed('b', 2))];
  expect(siteProcessEnv(a, b)).toMatchObject({
    TEMPORAL_NAMESPACE: 'cticloud-a',
    TEMPORAL_FALLBACK_ADDRESSES: '127.0.0.1:6233',
    TEMPORAL_PEER_NAMESPACE: 'cticloud-b',
  });
});

test("the takeover worker runs the peer's namespace on this site's cluster, Asterisk and database only", () => {
  const [a, b] = [parseSiteEnv(printed('a', 1)), parseSiteEnv(printed('b', 2))];
  const env = takeoverProcessEnv(b, a);
  expect(env).toMatchObject({
    TEMPORAL_NAMESPACE: 'cticloud-a',
    TEMPORAL_ADDRESS: '127.0.0.1:6233',
    TEMPORAL_CLUSTER: 'site-b',
    ARI_URL: 'http://127.0.0.1:8110',
    DATABASE_URL: b.DATABASE_URL,
    WORKER_ROLE: 'takeover',
    TEMPORAL_FALLBACK_ADDRESSES: '',
  });
  const config = loadConfig(env);
  expect(config).toMatchObject({ WORKER_ROLE: 'takeover', TEMPORAL_CLUSTER: 'site-b' });
});

test('a takeover worker without the name of its cluster is refused, naming the setting', () => {
  expect(() => loadConfig({ WORKER_ROLE: 'takeover', TEMPORAL_CLUSTER: '' })).toThrow(ConfigError);
  expect(() => loadConfig({ WORKER_ROLE: 'takeover', TEMPORAL_CLUSTER: '' })).toThrow(/TEMPORAL_CLUSTER/);
});
