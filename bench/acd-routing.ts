/**
 * ACD routing latency: an agent becomes available (POST /v1/agents/:id/state) → the agent's channel is
 * created and rings, with --callers callers waiting in the queue, against a bare ARI originate of the same
 * synthetic agent in the same run (the cost of dialing itself). Times are Asterisk's event timestamps from
 * the ARI stream minus the bench's request time: one machine, one clock.
 * Usage: npm run bench -- acd [--callers 50] [--agents 41] (see docs/benchmarks.md).
 *
 * Agents ring `Local/1xx@synthetic-agent/n` (answers after 1 s, talks xx s); each agent is made available
 * once, extensions 199, 198, … so every agent's channel is told apart by its name. The first sample warms
 * up and is dropped. Before each sample the queue is topped up to --callers waiting callers.
 */
import { parseArgs } from 'node:util';
import { DeliverPolicy, type ConsumerMessages } from 'nats';
import { ARI_STREAM, type AriEvent } from '../asterisk/ari-events';
import { placeCall, type PlacedCall } from '../test/support/caller';
import { provisionNumber } from '../test/support/numbers';
import { DIALED_LEG_ARG } from '../workflows/call/contract';
import {
  asteriskTime,
  benchQueue,
  deleteBenchQueues,
  machine,
  revision,
  resultsFile,
  saveResults,
  sleep,
  startBenchStack,
  temporalMs,
  type BenchStack,
} from './acd-kit';
import { summarize } from './stats';

const { values: args } = parseArgs({
  options: {
    callers: { type: 'string', default: '50' },
    agents: { type: 'string', default: '41' },
    'api-port': { type: 'string', default: '3310' },
  },
});
const CALLERS = Number(args.callers);
const AGENTS = Math.min(100, Math.max(2, Number(args.agents)));

/** A channel's first ChannelCreated and first Ringing state, Asterisk's times. */
interface Leg {
  name: string;
  created?: number;
  ringing?: number;
}

/** Every channel's creation and ringing times from the ARI stream, from now on. */
async function watchChannels(stack: BenchStack) {
  const legs = new Map<string, Leg>();
  // One ordered consumer a subject: NATS 2.9 takes a single filter subject.
  const streams: ConsumerMessages[] = [];
  const loops = ['ChannelCreated', 'ChannelStateChange'].map(async (type) => {
    const consumer = await stack.nc.jetstream().consumers.get(ARI_STREAM, {
      filterSubjects: `ari.${stack.config.ASTERISK_NODE}.*.${type}`,
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await consumer.consume();
    streams.push(messages);
    // Wrapped: an async function returning the loop's promise would wait for the loop to end.
    const loop = (async () => {
      for await (const m of messages) {
        const e = m.json<AriEvent>();
        if (!e.channel) continue;
        const leg = legs.get(e.channel.id) ?? { name: e.channel.name };
        legs.set(e.channel.id, leg);
        if (e.type === 'ChannelCreated') leg.created ??= asteriskTime(e.timestamp);
        else if (e.channel.state === 'Ringing') leg.ringing ??= asteriskTime(e.timestamp);
      }
    })();
    return { loop };
  });
  const done = (await Promise.all(loops)).map((l) => l.loop);
  /**
   * The first channel matching, once it rang and its ChannelCreated arrived (the two subjects are read by
   * two consumers, so either may come first); undefined after the timeout.
   */
  const ringing = async (match: (id: string, leg: Leg) => boolean, timeoutMs = 15_000) => {
    let rang: (Leg & { id: string }) | undefined;
    for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(5)) {
      for (const [id, leg] of legs) if (!rang && match(id, leg) && leg.ringing) rang = { id, ...leg };
      const created = rang && legs.get(rang.id)!.created;
      if (rang && created !== undefined) return { ...rang, created };
    }
    return rang;
  };
  return {
    ringing,
    async stop() {
      await Promise.all(streams.map((m) => m.close()));
      await Promise.all(done);
    },
  };
}

/** The published flow that queues callers; answers the number that reaches it. */
async function queueNumber(stack: BenchStack, queueId: string): Promise<string> {
  const definition = {
    schemaVersion: 1,
    start: 'wait',
    nodes: [
      { id: 'wait', type: 'queue', params: { queueId } },
      { id: 'bye', type: 'hangup' },
    ],
    edges: [
      { from: 'wait', exit: 'served', to: 'bye' },
      { from: 'wait', exit: 'overflow', to: 'bye' },
    ],
  };
  const flow = await stack.api<{ id: string }>(
    'POST',
    '/v1/flows',
    { name: `bench acd ${Date.now()}`, definition },
    201,
  );
  await stack.api('POST', `/v1/flows/${flow.id}/publish`, undefined, 201);
  const number = `5${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.tenantId, number);
  await stack.api('POST', '/v1/numbers', { number, flowId: flow.id }, 201);
  return number;
}

/** Hop times of one routed call from its workflow's history: offer signalled, agent dial started. */
async function hops(stack: BenchStack, legId: string, requestAt: number, created: number) {
  const workflowId = legId.split('-agent-')[0]!;
  const events = (await stack.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const offered = events.find(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'agentOffered',
  );
  const scheduled = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'connectAgent',
  );
  const started = events.find(
    (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
  );
  const [o, s, st] = [offered, scheduled, started].map((e) => temporalMs(e?.eventTime));
  return {
    /** Request → offer signal in the caller's workflow: gateway, update, routing workflow task, signal. */
    offer: o! - requestAt,
    /** → dial activity scheduled: the caller's workflow task(s), hold music stopped (an activity). */
    callerWorkflow: s! - o!,
    /** → dial activity started on the worker. */
    dispatch: st! - s!,
    /** → agent channel created: ringback to the caller, then the originate. */
    dial: created - st!,
  };
}

async function main(): Promise<void> {
  const stack = await startBenchStack({
    name: 'bench-acd',
    apiPort: Number(args['api-port']),
    bridges: true,
  });
  const callers: PlacedCall[] = [];
  const agents: { id: string; ext: number }[] = [];
  const watch = await watchChannels(stack);
  try {
    const queueId = await benchQueue(stack, { ringTimeoutSec: 20 });
    for (let i = 0; i < AGENTS; i++) {
      const ext = 199 - (i % 100);
      const agent = await stack.api<{ id: string }>(
        'POST',
        '/v1/agents',
        { name: `bench agent ${ext}`, endpoint: `Local/${ext}@synthetic-agent/n`, queueIds: [queueId] },
        201,
      );
      await stack.api('POST', `/v1/agents/${agent.id}/state`, { state: 'not_ready', reason: 'bench' });
      agents.push({ id: agent.id, ext });
    }
    const number = await queueNumber(stack, queueId);
    const waiting = async () =>
      (await stack.api<{ waiting: number }>('GET', `/v1/queues/${queueId}/stats`)).waiting;
    const call = async () => {
      const placed = await placeCall(stack.ari, stack.app, stack.config.ASTERISK_NODE, {
        to: number,
        delaySec: 1,
        holdSec: 1800,
      });
      callers.push(placed);
    };
    /** Places callers until CALLERS wait (agents who finish a call take callers too). */
    const fill = async (): Promise<number> => {
      for (const until = Date.now() + 180_000; Date.now() < until;) {
        let now = await waiting();
        if (now >= CALLERS) return now;
        for (let k = now; k < CALLERS; k++) await call().then(() => sleep(150));
        for (const settle = Date.now() + 15_000; now < CALLERS && Date.now() < settle; await sleep(100)) {
          now = await waiting();
        }
      }
      throw new Error(`the queue did not reach ${CALLERS} waiting callers`);
    };
    process.stdout.write(`placing ${CALLERS} callers … `);
    await fill();
    console.log('all waiting');

    const samples: Record<string, number>[] = [];
    const baseline: Record<string, number>[] = [];
    const routedLegs: { sample: Record<string, number>; legId: string; t0: number; created: number }[] = [];
    for (const [i, agent] of agents.entries()) {
      const waitingNow = await fill();
      await sleep(500);
      // Baseline: a bare ARI originate of the same endpoint; hung up when it rings (before it answers).
      const baseId = `bench-base-${Date.now().toString(36)}-${i}`;
      const b0 = Date.now();
      await stack.ari.originate({
        endpoint: `Local/${agent.ext}@synthetic-agent/n`,
        app: stack.app,
        appArgs: DIALED_LEG_ARG,
        channelId: baseId,
        callerId: '5550100',
        timeout: 20,
        formats: 'ulaw',
      });
      const bRpc = Date.now() - b0;
      const base = await watch.ringing((id) => id === baseId, 5000);
      await stack.ari.hangup(baseId).catch(() => undefined);
      await sleep(500);
      // CTICloud: the agent becomes available; the head caller's workflow dials them.
      const t0 = Date.now();
      await stack.api('POST', `/v1/agents/${agent.id}/state`, { state: 'available' });
      const tApi = Date.now() - t0;
      const prefix = `Local/${agent.ext}@synthetic-agent`;
      const leg = await watch.ringing((id, l) => id.includes('-agent-') && l.name.startsWith(prefix));
      // The caller stays counted as waiting until the agent answers (after 1 s of ringing).
      await sleep(1500);
      if (i === 0) continue; // warm-up
      baseline.push({
        createdMs: (base?.created ?? NaN) - b0,
        ringingMs: (base?.ringing ?? NaN) - b0,
        originateRpcMs: bRpc,
      });
      const sample = { waiting: waitingNow, apiMs: tApi, createdMs: NaN, ringingMs: NaN };
      if (leg) {
        Object.assign(sample, { createdMs: leg.created! - t0, ringingMs: leg.ringing! - t0 });
        routedLegs.push({ sample, legId: leg.id, t0, created: leg.created! });
      }
      samples.push(sample);
      console.log(
        `sample ${i}/${AGENTS - 1}: waiting ${waitingNow}, routed ring ${sample.ringingMs} ms, ` +
          `bare originate ring ${(base?.ringing ?? NaN) - b0} ms`,
      );
    }

    // The dial activity's start is in the history once its ring phase has ended.
    for (const { sample, legId, t0, created } of routedLegs) {
      Object.assign(sample, await hops(stack, legId, t0, created).catch(() => ({})));
    }
    const col = (rows: Record<string, number>[], key: string) => summarize(rows.map((r) => r[key]!));
    const routed = { createdMs: col(samples, 'createdMs'), ringingMs: col(samples, 'ringingMs') };
    const bare = { createdMs: col(baseline, 'createdMs'), ringingMs: col(baseline, 'ringingMs') };
    const report = {
      date: new Date().toISOString(),
      machine: machine(),
      revision: revision(),
      callersWaiting: CALLERS,
      callersPlaced: callers.length,
      samples: samples.length,
      failed: samples.filter((s) => !Number.isFinite(s.ringingMs)).length,
      waitingAtSample: {
        min: Math.min(...samples.map((s) => s.waiting!)),
        max: Math.max(...samples.map((s) => s.waiting!)),
      },
      routing: { ...routed, apiResponseMs: col(samples, 'apiMs') },
      baselineOriginate: { ...bare, originateRpcMs: col(baseline, 'originateRpcMs') },
      routingMinusBaselineAtP50Ms: {
        created: Math.round(routed.createdMs.p50 - bare.createdMs.p50),
        ringing: Math.round(routed.ringingMs.p50 - bare.ringingMs.p50),
      },
      breakdownMs: Object.fromEntries(
        ['offer', 'callerWorkflow', 'dispatch', 'dial'].map((k) => [k, col(samples, k)]),
      ),
      raw: { samples, baseline },
    };
    console.log(JSON.stringify({ ...report, raw: undefined }, null, 2));
    console.log(`saved ${await saveResults(resultsFile('acd-routing'), report)}`);
  } finally {
    await cleanUp(stack, callers, agents).catch((err: unknown) => console.error('clean-up:', err));
    await watch.stop();
    await stack.close();
  }
}

/** Hangs up every channel of the bench's calls, logs the agents out, ends the tenant's routing. */
async function cleanUp(stack: BenchStack, callers: PlacedCall[], agents: { id: string }[]) {
  console.log('cleaning up: channels, agents, routing workflow, queue');
  const ours = (id: string) => id.startsWith('bench-base-') || callers.some((c) => id.includes(c.id));
  // A few at a time, each given up after 5 s: of a hundred ARI requests at once, some were never answered
  // (Asterisk's HTTP server takes 100 sessions by default).
  const hangup = (id: string) => Promise.race([stack.ari.hangup(id).catch(() => undefined), sleep(5000)]);
  for (let round = 0; round < 10; round++) {
    const live = (await stack.ari.listChannels()).filter((c) => ours(c.id));
    if (!live.length) break;
    for (let k = 0; k < live.length; k += 8) await Promise.all(live.slice(k, k + 8).map((c) => hangup(c.id)));
    await sleep(1000);
  }
  let pending = agents;
  for (let round = 0; round < 30 && pending.length; round++) {
    if (round) await sleep(1000);
    const results = await Promise.all(
      pending.map((a) =>
        stack.api('POST', `/v1/agents/${a.id}/state`, { state: 'offline' }).then(
          () => undefined,
          () => a,
        ),
      ),
    );
    pending = results.filter((a): a is { id: string } => !!a);
  }
  if (pending.length) console.warn(`${pending.length} agents could not be logged out`);
  await stack.temporal.workflow
    .getHandle(`acd-${stack.tenantId}`)
    .terminate('benchmark finished')
    .catch(() => undefined);
  await deleteBenchQueues(stack);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
