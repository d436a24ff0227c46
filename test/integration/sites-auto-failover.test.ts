/**
 * Issue #16's automatic failover, behind SITE_AUTO_FAILOVER_SEC (lib/sites/auto-failover.ts): two whole
 * sites (xa and xb at indexes 3 and 4 of scripts/site.sh) and a witness on loopback. Site A is killed whole
 * while the witness is down: B's takeover worker sees A silent on every path but has no second vote, and A's
 * namespace stays where it was. The witness comes back and agrees: B takes over by itself, and a callback
 * made at A is dialed once, from B. A comes back and takes its namespace back; B does not take it again.
 */
import type { AddressInfo } from 'node:net';
import { acdKit, json } from '../support/acd';
import { sleep } from '../support/campaigns';
import { channelsCreatedOn } from '../support/ari-log';
import {
  startSiteProcesses,
  startTwoSiteStack,
  stopTwoSiteStack,
  TEST_SITES,
  type SiteStack,
} from '../support/two-sites';
import { killSite, startSiteInfrastructure } from '../../lib/sites/bring-up';
import { createWitness } from '../../lib/sites/witness';
import { describeReplication } from '../../lib/temporal-clusters';
import { callbackWorkflowId, type CallbackStatus } from '../../workflows/callback/contract';

const PLACES = TEST_SITES;
const AFTER_SEC = 3;

/** The witness knows both sites' gateways; it is stopped and started again on the same port. */
const witnessSites = new Map<string, string>();
let witness = createWitness(witnessSites);
let witnessPort = 0;
const listen = () => new Promise<void>((r) => witness.listen(witnessPort, '127.0.0.1', r));
const close = () =>
  new Promise((r) => {
    witness.closeAllConnections();
    witness.close(r);
  });

let A: SiteStack;
let B: SiteStack;
beforeAll(async () => {
  await listen();
  witnessPort = (witness.address() as AddressInfo).port;
  process.env.SITE_AUTO_FAILOVER_SEC = String(AFTER_SEC);
  process.env.SITE_WITNESS_URL = `http://127.0.0.1:${witnessPort}`;
  process.env.CALLBACK_START_DELAY_FROM_SEC = '3';
  [A, B] = await startTwoSiteStack([PLACES[0], PLACES[1]]);
  for (const s of [A, B]) witnessSites.set(s.site, `http://127.0.0.1:${s.env.API_PORT}`);
}, 900_000);
afterAll(async () => {
  await close().catch(() => undefined);
  await stopTwoSiteStack([A, B], [...PLACES]);
}, 120_000);

const activeClusterOf = async (site: SiteStack, namespace: string) =>
  (await describeReplication(site.temporal.connection, namespace)).activeCluster;

test('with no witness to agree B does not take over; once the witness agrees it does, by itself; A takes its namespace back and B leaves it there', async () => {
  const since = new Date();
  const atA = acdKit(A);
  const queue = await atA.queue({ wrapUpSec: 0 });
  const agent = await atA.agent('102', [queue.id]);
  const callback = await A.api(
    '/v1/callbacks',
    json('POST', { number: '150', queueId: queue.id, earliest: new Date(Date.now() + 20_000).toISOString() }),
  );
  expect(callback.status).toBe(201);

  // The witness is down when A dies: B sees A silent on every path, and waits.
  await close();
  await Promise.all(A.processes.map((p) => p.kill()));
  await killSite(A.site);
  const takeover = B.processes.find((p) => p.name.startsWith('worker-takeover'))!;
  await takeover.waitFor(/no witness to agree/, 30_000);
  await sleep(2 * AFTER_SEC * 1000);
  expect(await activeClusterOf(B, A.env.TEMPORAL_NAMESPACE)).toBe(A.env.TEMPORAL_CLUSTER);
  expect(takeover.log).not.toMatch(/witness agrees: taking over/);

  // The witness is back and cannot reach A either: B takes A's namespace over.
  witness = createWitness(witnessSites);
  await listen();
  const back = Date.now();
  await takeover.waitFor(/automatic site failover done/, 30_000);
  await takeover.waitFor(/"msg":"worker ready"/, 30_000);
  const tookOverMs = Date.now() - back;
  expect(await activeClusterOf(B, A.env.TEMPORAL_NAMESPACE)).toBe(B.env.TEMPORAL_CLUSTER);

  // A's callback is dialed once, from B, by A's agent signed in at B.
  expect((await acdKit(B).setState(agent.id, 'available')).status).toBe(200);
  const result = (await B.namespace(A.env.TEMPORAL_NAMESPACE)
    .workflow.getHandle(callbackWorkflowId(callback.body.id))
    .result()) as CallbackStatus;
  expect(result.state).toBe('completed');
  const dialed = (await channelsCreatedOn(B, since, B.env.ASTERISK_NODE)).filter((e) =>
    /^Local\/150@synthetic-party.*;1$/.test(e.channel?.name ?? ''),
  );
  expect(dialed).toHaveLength(1);

  // A comes back, stands by, and takes its namespace back; B hears from A again and leaves it there.
  A.processes = await startSiteProcesses(await startSiteInfrastructure(PLACES[0]), B.env);
  const failBack = await A.api('/v1/platform/temporal/failover', {
    ...json('POST', {
      namespace: A.env.TEMPORAL_NAMESPACE,
      cluster: A.env.TEMPORAL_CLUSTER,
      mode: 'graceful',
    }),
    key: process.env.OPERATOR_API_KEY!,
  });
  expect(failBack.status).toBe(200);
  await takeover.waitFor(/active elsewhere/, 30_000);
  await sleep(3 * AFTER_SEC * 1000);
  expect(await activeClusterOf(B, A.env.TEMPORAL_NAMESPACE)).toBe(A.env.TEMPORAL_CLUSTER);
  expect(takeover.log.match(/automatic site failover done/g)).toHaveLength(1);
  console.log(`automatic failover: B took over ${tookOverMs} ms after the witness came back`);
}, 420_000);
