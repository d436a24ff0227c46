/**
 * Routing under sustained load, at the routing layer itself (lib/acd on PostgreSQL): --agents agents over
 * --queues queues, callers arriving so that --rate routing events a second reach the router (each caller makes
 * four: enter, answered, call end, wrap-up end), for --seconds. Each caller's side is played by the bench
 * (ring --ring-ms, talk --talk seconds), not by calls: this measures routing, the thing a per-tenant workflow
 * could not carry, without Asterisk's or the workflows' cost (bench/acd-routing.ts measures those).
 *
 * Routing latency: from the moment a pairing became possible (the later of the caller entering and the agent
 * becoming free) to the pass that booked it. Baseline in the same run: one bare PostgreSQL round trip
 * (`select 1`) measured alongside, on the same pool, under the same load.
 * Usage: npm run bench -- routing-load [--agents 500] [--queues 20] [--rate 50] [--seconds 600]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { routeTenant } from '../lib/acd/route';
import { endCall, endWrapUps, enterQueue, reportOffer, setAgentState } from '../lib/acd/store';
import { summarize } from './stats';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '500' },
    queues: { type: 'string', default: '20' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '600' },
    talk: { type: 'string', default: '30' },
    'ring-ms': { type: 'string', default: '1000' },
  },
});
const AGENTS = Number(args.agents);
const QUEUES = Number(args.queues);
const CALLERS_PER_SEC = Number(args.rate) / 4;
const SECONDS = Number(args.seconds);
const TALK_MS = Number(args.talk) * 1000;
const RING_MS = Number(args['ring-ms']);
const TENANT = 'bench-routing';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const pool = createPool(loadConfig().DATABASE_URL, 12);
  await pool.query(`insert into tenants (id, name) values ($1, 'routing bench') on conflict do nothing`, [
    TENANT,
  ]);
  for (const t of ['acd_entries', 'acd_agents', 'acd_outcomes', 'acd_round_robin'])
    await pool.query(`delete from ${t} where tenant_id = $1`, [TENANT]);
  await pool.query('delete from queues where tenant_id = $1', [TENANT]);
  const queues: string[] = [];
  for (let q = 0; q < QUEUES; q++) {
    const { rows } = await pool.query<{ id: string }>(
      `insert into queues (tenant_id, name, config) values ($1, $2, $3) returning id`,
      [TENANT, `bench ${q}`, JSON.stringify({ wrapUpSec: 2, ringTimeoutSec: 20 })],
    );
    queues.push(rows[0]!.id);
  }
  // When each agent last became free and each caller entered: what routing latency is measured from.
  const freeSince = new Map<string, number>();
  const enteredAt = new Map<string, number>();
  for (let a = 0; a < AGENTS; a++) {
    const id = randomUUID();
    // Each agent serves two queues: routing must pick among overlapping queues, as in a real tenant.
    const queueIds = [queues[a % QUEUES]!, queues[(a * 7 + 3) % QUEUES]!];
    await setAgentState(pool, TENANT, {
      agent: {
        id,
        name: `agent ${a}`,
        endpoint: `Local/1${a}@bench`,
        skills: [],
        queueIds: [...new Set(queueIds)],
      },
      state: 'available',
    });
    freeSince.set(id, Date.now());
  }

  const routing: number[] = [];
  const passes: number[] = [];
  const bare: number[] = [];
  let events = 0;
  let booked = 0;
  let routingBusy = false;
  let routeAgain = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  /** One pass after each change, coalesced: as afterRoutingChange does, without signalling workflows. */
  const route = async (): Promise<void> => {
    if (routingBusy) {
      routeAgain = true;
      return;
    }
    routingBusy = true;
    try {
      do {
        routeAgain = false;
        const t0 = performance.now();
        const { offers } = await routeTenant(pool, TENANT);
        passes.push(performance.now() - t0);
        const now = Date.now();
        for (const { entryId, offer } of offers) {
          booked++;
          routing.push(now - Math.max(enteredAt.get(entryId)!, freeSince.get(offer.agent.id)!));
          track(playCall(entryId, offer.offerId, offer.agent.id));
        }
      } while (routeAgain);
    } finally {
      routingBusy = false;
    }
  };
  const playCall = async (entryId: string, offerId: string, agentId: string) => {
    await sleep(RING_MS);
    await reportOffer(pool, TENANT, { entryId, offerId, outcome: 'answered' });
    events++;
    await sleep(TALK_MS * (0.5 + Math.random()));
    await endCall(pool, TENANT, { entryId, talkSeconds: TALK_MS / 1000 });
    events++;
    freeSince.set(agentId, Date.now()); // in wrap-up: free again when it ends (below)
  };

  const wrapUps = setInterval(() => {
    track(
      endWrapUps(pool).then(async (ended) => {
        events += ended.length;
        for (const c of ended) freeSince.set(c.agentId, Date.now());
        if (ended.length) await route();
      }),
    );
  }, 250);
  const probe = setInterval(() => {
    const t0 = performance.now();
    track(pool.query('select 1').then(() => bare.push(performance.now() - t0)));
  }, 100);

  const start = Date.now();
  let callers = 0;
  console.log(`routing load: ${AGENTS} agents, ${QUEUES} queues, ${args.rate} events/s for ${SECONDS} s`);
  while (Date.now() - start < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * CALLERS_PER_SEC);
    for (; callers < due; callers++) {
      const entryId = `bench-${randomUUID()}`;
      enteredAt.set(entryId, Date.now());
      const queueId = queues[callers % QUEUES]!;
      track(
        enterQueue(pool, TENANT, {
          entryId,
          kind: 'call',
          queueId,
          priority: 0,
          skills: [],
          enqueuedAt: new Date().toISOString(),
          from: '+15550100',
        }).then(() => {
          events++;
          return route();
        }),
      );
    }
    await sleep(20);
  }
  clearInterval(wrapUps);
  clearInterval(probe);
  const elapsed = (Date.now() - start) / 1000;
  const { rows } = await pool.query<{ waiting: number }>(
    'select count(*)::int as waiting from acd_entries where tenant_id = $1',
    [TENANT],
  );
  const results = {
    callers,
    booked,
    stillWaiting: rows[0]!.waiting,
    routingEventsPerSec: Math.round((events / elapsed) * 10) / 10,
    routingLatencyMs: summarize(routing),
    routingPassMs: summarize(passes),
    baselineSelect1Ms: summarize(bare),
    largestRoutingHistory: 'none: no routing workflow',
  };
  console.log(JSON.stringify(results, null, 2));
  // Calls still being played would touch the pool after it ends; they are the bench's, not routing's.
  await Promise.race([Promise.allSettled([...inFlight]), sleep(2000)]);
  await pool.end().catch(() => undefined);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
