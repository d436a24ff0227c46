/**
 * npm run bench -- sites-drill [--minutes 30] [--kill-every 5] [--down 60] [--calls-per-second 2]
 *   [--callbacks 200] [--agents 6]
 * Issue #16's long drill: two whole sites of the bench's own (da, db at indexes 7 and 8 of scripts/site.sh),
 * inbound calls split across the live sites, callbacks created at both falling due all along, and every
 * --kill-every minutes one site killed (kill -9 of all its processes), alternating. The survivor takes over
 * the dead site's namespace (forced failover through its API; its agents are signed in at both sites); after
 * --down seconds the dead site is restarted on its data and takes its namespace back (graceful).
 * Reported (docs/benchmarks.md): RTO per kill (takeover worker ready; first call answered at the survivor;
 * first of the dead site's callbacks answered at the survivor), the fail-back's duration, RPO (configuration
 * writes the dead site acknowledged that never reached the survivor, and callbacks acknowledged that never
 * reached its cluster), replication lag p50/p99, and per callback how many times Asterisk dialed it (target
 * exactly once; customers are numbers 100-199 and 600-699, so at most 200 callbacks). A campaign started at
 * each site (contacts 700-749 at A, 750-799 at B) dials at a pace that spreads its contacts over the run: per
 * contact, how many times Asterisk dialed it (target once) and whether each campaign completed. A webhook
 * for callbacks' and campaigns' ends counts deliveries of the same happening under different ids (target 0).
 */
import { parseArgs } from 'node:util';
import { acdKit, json } from '../test/support/acd';
import { BEEP_THEN_HANG_UP } from '../test/support/definitions';
import { placeCall } from '../test/support/caller';
import {
  startSiteProcesses,
  startTwoSiteStack,
  stopTwoSiteStack,
  type SiteStack,
} from '../test/support/two-sites';
import { killSite, startSiteInfrastructure } from '../lib/sites/bring-up';
import { replicationLag } from '../lib/sites/replication';
import { callbackStatusQuery, callbackWorkflowId, type CallbackStatus } from '../workflows/callback/contract';
import { machine, resultsFile, revision, saveResults, sleep } from './acd-kit';
import { summarize } from './stats';
import { CONTACTS_PER_SITE, dialsPerCustomer, startCampaign, webhookReceiver } from './sites-drill-kit';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'kill-every': { type: 'string', default: '5' },
    down: { type: 'string', default: '60' },
    'calls-per-second': { type: 'string', default: '2' },
    callbacks: { type: 'string', default: '200' },
    agents: { type: 'string', default: '6' },
  },
});
const MINUTES = Number(values.minutes);
const KILL_EVERY_MS = Number(values['kill-every']) * 60_000;
const DOWN_MS = Number(values.down) * 1000;
const CALL_RATE = Number(values['calls-per-second']);
const CALLBACKS = Math.min(200, Number(values.callbacks));
const AGENTS = Number(values.agents);
const PLACES = [
  { site: 'da', index: 7 },
  { site: 'db', index: 8 },
] as const;
const NUMBER = '7007000';
const customer = (i: number) => String(i < 100 ? 100 + i : 600 + (i - 100));
interface Kill {
  site: string;
  at: number;
  takeoverReadyMs?: number;
  firstCallAtSurvivorMs?: number;
  firstCallbackAtSurvivorMs?: number;
  failBackMs?: number;
  configWritesLost?: number;
  configLostWindowMs?: number;
}

async function main(): Promise<void> {
  process.env.CALLBACK_START_DELAY_FROM_SEC = '3';
  // Customers are the synthetic parties of the bundled dialplan, on loopback (as in the tests).
  process.env.OUTBOUND_DIAL = 'Local/{number}@synthetic-party/n';
  process.env.OUTBOUND_POLICY = 'loopback-only';
  const receiver = await webhookReceiver();
  const sites = await startTwoSiteStack([PLACES[0], PLACES[1]]);
  const [A, B] = sites;
  const operatorKey = process.env.OPERATOR_API_KEY!;
  const live = new Set<SiteStack>(sites);
  const peerOf = (s: SiteStack) => (s === A ? B : A);
  /** A site failover or fail-back, asked of the site whose API answers. */
  const moveNamespace = async (at: SiteStack, namespace: string, cluster: string, mode: string) => {
    const moved = await at.api('/v1/platform/temporal/failover', {
      ...json('POST', { namespace, cluster, mode }),
      key: operatorKey,
    });
    if (moved.status !== 200) throw new Error(`${mode} failover: ${JSON.stringify(moved.body)}`);
  };
  const started = new Date();
  const kills: Kill[] = [];
  const lag: number[] = [];
  const calls = { placed: 0, answered: 0, failed: 0, lostWithSite: 0 };
  const callbacks: { id: string; number: string; site: string; createdAt: number }[] = [];
  const configWrites = new Map<string, { site: string; at: number }>();
  const end = Date.now() + MINUTES * 60_000;
  try {
    // A flow on a number both sites answer; a queue whose agents are signed in at both sites.
    const flow = await A.api(
      '/v1/flows',
      json('POST', {
        name: `drill ${Date.now()}`,
        definition: BEEP_THEN_HANG_UP,
      }),
    );
    await A.api(`/v1/flows/${flow.body.id}/publish`, { method: 'POST' });
    await A.api('/v1/platform/numbers', {
      ...json('POST', { number: NUMBER, tenantId: process.env.DEFAULT_TENANT ?? 'default' }),
      key: operatorKey,
    });
    await A.api('/v1/numbers', json('POST', { number: NUMBER, flowId: flow.body.id }));
    const queue = await acdKit(A).queue({ wrapUpSec: 0 });
    const agents = [];
    for (let i = 0; i < AGENTS; i++) agents.push(await acdKit(A).agent('102', [queue.id]));
    await sleep(2000); // replicated to B
    for (const site of sites) for (const a of agents) await acdKit(site).setState(a.id, 'available');

    // A webhook for callbacks' and campaigns' ends, and a campaign started at each site.
    await A.pool.query('update tenants set webhook_allow_private = true where id = $1', [
      A.config.DEFAULT_TENANT,
    ]);
    const hook = await A.api(
      '/v1/webhooks',
      json('POST', { url: receiver.url, eventTypes: ['callback.completed', 'campaign.progress'] }),
    );
    if (hook.status !== 201) throw new Error(`webhook: ${JSON.stringify(hook.body)}`);
    const campaignRunMs = Math.max(60_000, MINUTES * 60_000 - 150_000);
    const campaigns = [];
    for (const [i, site] of sites.entries())
      campaigns.push(await startCampaign(site, flow.body.id, 700 + i * CONTACTS_PER_SITE, campaignRunMs));

    // Inbound calls at the live sites, each checked to the end in the background.
    const pending: Promise<void>[] = [];
    const callLoop = (async () => {
      let n = 0;
      while (Date.now() < end) {
        const list = [...live];
        const site = list[n++ % list.length]!;
        calls.placed++;
        const placedAt = Date.now();
        pending.push(
          (async () => {
            try {
              const call = await placeCall(site.ari, process.env.ARI_APP!, site.env.ASTERISK_NODE, {
                to: NUMBER,
                holdSec: 3,
              });
              const handle = site.temporal.workflow.getHandle(call.workflowId);
              for (let i = 0; i < 100; i++) {
                if (
                  await handle.describe().then(
                    () => true,
                    () => false,
                  )
                )
                  break;
                await sleep(100);
              }
              await handle.result();
              calls.answered++;
              for (const k of kills)
                if (k.site !== site.site && k.at < placedAt && k.firstCallAtSurvivorMs === undefined)
                  k.firstCallAtSurvivorMs = Date.now() - k.at;
            } catch {
              if (live.has(site)) calls.failed++;
              else calls.lostWithSite++;
            }
          })(),
        );
        await sleep(1000 / CALL_RATE);
      }
    })();

    // Callbacks created at alternating live sites, due 20-40 s later, spread over the run.
    const callbackLoop = (async () => {
      for (let i = 0; i < CALLBACKS && Date.now() < end - 90_000; i++) {
        const list = [...live];
        const site = list[i % list.length]!;
        const earliest = new Date(Date.now() + 20_000 + (i % 5) * 5000).toISOString();
        const made = await site.api(
          '/v1/callbacks',
          json('POST', { number: customer(i), queueId: queue.id, earliest }),
        );
        if (made.status === 201)
          callbacks.push({ id: made.body.id, number: customer(i), site: site.site, createdAt: Date.now() });
        await sleep((MINUTES * 60_000 - 90_000) / CALLBACKS);
      }
    })();

    // A configuration write at each live site every 200 ms (a DNC entry named by site and tick): the RPO probe.
    const configLoop = (async () => {
      let tick = 0;
      while (Date.now() < end) {
        await Promise.all(
          [...live].map(async (site) => {
            const phone = `+1202${site.env.API_PORT.slice(-2)}${String(tick % 100000).padStart(5, '0')}`;
            const r = await site.api('/v1/dnc', json('POST', { numbers: [phone] })).catch(() => undefined);
            if (r?.status === 200 && r.body.rejected.length === 0)
              configWrites.set(phone, { site: site.site, at: Date.now() });
          }),
        );
        for (const [s, peer] of [
          [A, B],
          [B, A],
        ] as const) {
          if (!live.has(s) || !live.has(peer)) continue;
          const ms = await replicationLag(s.pool, peer.site).catch(() => undefined);
          if (ms !== undefined) lag.push(ms);
        }
        tick++;
        await sleep(200);
      }
    })();

    // The kills, alternating.
    let victim = A;
    for (let next = Date.now() + KILL_EVERY_MS; next + DOWN_MS + 30_000 < end; next += KILL_EVERY_MS) {
      await sleep(next - Date.now());
      const survivor = peerOf(victim);
      const kill: Kill = { site: victim.site, at: Date.now() };
      kills.push(kill);
      live.delete(victim);
      await Promise.all(victim.processes.map((p) => p.kill()));
      await killSite(victim.site);
      await moveNamespace(survivor, victim.env.TEMPORAL_NAMESPACE, survivor.env.TEMPORAL_CLUSTER, 'forced');
      const takeover = survivor.processes.find((p) => p.name.startsWith('worker-takeover'))!;
      const readyBefore = (takeover.log.match(/"msg":"worker ready"/g) ?? []).length;
      while ((takeover.log.match(/"msg":"worker ready"/g) ?? []).length === readyBefore) await sleep(50);
      kill.takeoverReadyMs = Date.now() - kill.at;
      // RPO: the victim's acknowledged configuration writes that never reached the survivor.
      await sleep(3000);
      const victims = [...configWrites].filter(([, w]) => w.site === victim.site && w.at > kill.at - 10_000);
      const { rows } = await survivor.pool.query<{ phone: string }>(
        'select phone from dnc_numbers where phone = any($1::text[])',
        [victims.map(([p]) => p)],
      );
      const arrived = new Set(rows.map((r) => r.phone));
      const lost = victims.filter(([p]) => !arrived.has(p));
      kill.configWritesLost = lost.length;
      kill.configLostWindowMs = lost.length ? kill.at - Math.min(...lost.map(([, w]) => w.at)) : 0;
      await sleep(Math.max(0, DOWN_MS - (Date.now() - kill.at)));
      // Back on its data; stands by until the fail-back.
      victim.processes = await startSiteProcesses(
        await startSiteInfrastructure(PLACES.find((p) => p.site === victim.site)!),
        survivor.env,
      );
      const t0 = Date.now();
      await moveNamespace(survivor, victim.env.TEMPORAL_NAMESPACE, victim.env.TEMPORAL_CLUSTER, 'graceful');
      await victim.processes
        .find((p) => p.name.startsWith('worker-site'))!
        .waitFor(/"msg":"worker ready"/, 120_000);
      kill.failBackMs = Date.now() - t0;
      for (const a of agents)
        await acdKit(victim)
          .setState(a.id, 'available')
          .catch(() => undefined);
      live.add(victim);
      victim = survivor;
    }
    await Promise.all([callLoop, callbackLoop, configLoop]);
    await Promise.allSettled(pending);

    // Every callback's end, read where its namespace is active now (its home, after the fail-backs).
    const outcomes = new Map<string, string>();
    const answeredAt = new Map<string, number>();
    const collectUntil = Date.now() + 180_000;
    for (const cb of callbacks) {
      const home = cb.site === A.site ? A : B;
      const handle = home.temporal.workflow.getHandle(callbackWorkflowId(cb.id));
      try {
        // Polled, not awaited: a result() still waiting when the stack stops would throw from gRPC's timers.
        while ((await handle.describe()).status.name === 'RUNNING') {
          if (Date.now() > collectUntil) {
            // Where it stands, so a callback still going can be told from one that is stuck.
            const now = await handle.query(callbackStatusQuery).catch(() => undefined);
            throw new Error(
              `not finished: ${now?.state}, attempts ${now?.attempts.map((a) => a.outcome).join(',')}, next ${now?.nextAttemptAt}`,
            );
          }
          await sleep(1000);
        }
        const status = (await handle.result()) as CallbackStatus;
        outcomes.set(cb.id, `${status.state}:${status.attempts.map((a) => a.outcome).join(',')}`);
        const done = status.attempts.at(-1)?.startedAt;
        if (done) answeredAt.set(cb.id, Date.parse(done));
      } catch (err) {
        outcomes.set(cb.id, `unknown: ${(err as Error).message.slice(0, 160)}`);
      }
    }
    for (const k of kills) {
      const theirs = callbacks.filter((c) => c.site === k.site).map((c) => answeredAt.get(c.id) ?? Infinity);
      const after = theirs.filter((t) => t > k.at);
      if (after.length) k.firstCallbackAtSurvivorMs = Math.min(...after) - k.at;
    }
    // Asterisk's own count of dials per customer (callbacks 1xx and 6xx, campaign contacts 7xx), at both sites.
    const dials = await dialsPerCustomer(sites, started);
    const perCallback = callbacks.map((c) => dials.get(c.number) ?? 0);
    // Each campaign's end, read at its home site.
    const campaignEnds: Record<string, string> = {};
    for (const c of campaigns) {
      const home = c.site === A.site ? A : B;
      for (let i = 0; i < 120; i++) {
        const { rows } = await home.pool.query<{ state: string }>(
          'select state from campaigns where id = $1',
          [c.id],
        );
        campaignEnds[c.site] = rows[0]?.state ?? 'missing';
        if (campaignEnds[c.site] === 'completed') break;
        await sleep(1000);
      }
    }
    const perContact = campaigns.flatMap((c) => c.contacts).map((n) => dials.get(n) ?? 0);
    // Deliveries of the same happening under more than one id: a receiver could not tell them apart.
    const idsOf = new Map<string, Set<string>>();
    for (const d of receiver.deliveries)
      idsOf.set(d.happening, (idsOf.get(d.happening) ?? new Set()).add(d.id));
    const report = {
      bench: 'sites-drill',
      ...revision(),
      machine: machine(),
      settings: { MINUTES, KILL_EVERY_MS, DOWN_MS, CALL_RATE, CALLBACKS, AGENTS },
      kills,
      calls,
      callbacks: {
        created: callbacks.length,
        outcomes: [...outcomes.values()].reduce<Record<string, number>>(
          (m, o) => ((m[o] = (m[o] ?? 0) + 1), m),
          {},
        ),
        dialedOnce: perCallback.filter((n) => n === 1).length,
        neverDialed: perCallback.filter((n) => n === 0).length,
        dialedTwiceOrMore: callbacks.filter((_, i) => perCallback[i]! > 1).map((c) => c.number),
      },
      campaigns: {
        ends: campaignEnds,
        contacts: perContact.length,
        dialedOnce: perContact.filter((n) => n === 1).length,
        neverDialed: perContact.filter((n) => n === 0).length,
        dialedTwiceOrMore: perContact.filter((n) => n > 1).length,
      },
      webhooks: {
        deliveries: receiver.deliveries.length,
        happenings: idsOf.size,
        callbacksCompleted: [...idsOf.keys()].filter((k) => k.startsWith('callback.completed')).length,
        underTwoIds: [...idsOf.values()].filter((ids) => ids.size > 1).length,
      },
      replicationLagMs: summarize(lag),
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(`saved ${await saveResults(resultsFile('sites-drill'), report)}`);
  } finally {
    await stopTwoSiteStack(sites, [...PLACES]);
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
