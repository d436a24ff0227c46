/**
 * Campaign dialer: an agentless campaign of --contacts contacts (default 10,000) against synthetic parties
 * (`Local/<7 digits>@bench-party/n`: 85 % ring 0–3 s then answer, 10 % busy, 5 % never answer), each answered
 * call running a published flow that plays `beep` and hangs up. Measured:
 * - achieved vs configured rate: attempts started per second in the steady state (the first and last --trim
 *   seconds left out), from campaign_attempts.started_at and, independently, from Asterisk's ChannelCreated;
 * - concurrency: the most attempts open at once from campaign_attempts (started_at → ended_at), and the most
 *   campaign calls Asterisk held in ARI GET /channels sampled every 500 ms;
 * - the worker's RSS every 5 s (it should stay flat);
 * - workflow history size: every CampaignWorkflow run (continue-as-new every 300 attempts) and a sample of
 *   CampaignAttemptWorkflow histories.
 * Baseline in the same run: a bare loop of ARI originates at the same pace to the same parties for --baseline
 * seconds, its rate measured from ChannelCreated the same way.
 * Usage: npm run bench -- campaign [--contacts 10000] [--rate 20] [--concurrent 80] [--cut <s>] (docs/benchmarks.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CampaignProgress } from '../workflows/campaign/contract';
import { CampaignSettings } from '../domain/campaign/settings';
import { childPid, machine, sleep, startBenchStack, type BenchStack } from './acd-kit';
import {
  bareDialer,
  channelSampler,
  ChannelWatch,
  maxOverlap,
  memorySampler,
  partyNumber,
  Sampler,
  slopePerMinute,
  spread,
  steadyRate,
} from './campaign-probes';
import { attemptHistories, campaignRuns } from './campaign-history';
import { summarize } from './stats';

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '20' },
    concurrent: { type: 'string', default: '80' },
    ring: { type: 'string', default: '5' },
    baseline: { type: 'string', default: '40' },
    trim: { type: 'string', default: '10' },
    /** Seconds the campaign may take before it is stopped; default three times contacts / rate, plus 3 min. */
    timeout: { type: 'string' },
    /** Seconds after which the contacts not yet claimed are deleted: the list ends there, the run completes. */
    cut: { type: 'string' },
    'api-port': { type: 'string', default: '3320' },
  },
});
const CONTACTS = Number(args.contacts);
const RATE = Number(args.rate);
const CONCURRENT = Number(args.concurrent);
const RING = Number(args.ring);
const TRIM_MS = Number(args.trim) * 1000;
const DIAL = 'Local/{number}@bench-party/n';
const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A published flow of the bench tenant: play `beep`, hang up. */
async function beepFlow(stack: BenchStack): Promise<string> {
  const flow = await stack.api<{ id: string }>(
    'POST',
    '/v1/flows',
    {
      name: `campaign bench ${Date.now()}`,
      definition: {
        schemaVersion: 1,
        start: 'beep',
        nodes: [
          { id: 'beep', type: 'play', params: { prompt: { kind: 'sound', name: 'beep' } } },
          { id: 'bye', type: 'hangup' },
        ],
        edges: [{ from: 'beep', exit: 'next', to: 'bye' }],
        variables: [],
      },
    },
    201,
  );
  await stack.api('POST', `/v1/flows/${flow.id}/publish`, {}, 201);
  return flow.id;
}

/** The campaign row and its contacts, straight into PostgreSQL as the integration tests do. */
async function createCampaign(stack: BenchStack, flowId: string): Promise<string> {
  const noRetry = { delaySec: 0, maxAttempts: 1 };
  const config = CampaignSettings.parse({
    target: { kind: 'flow', flowId },
    callerId: '5550199',
    pacing: { callsPerSecond: RATE, maxConcurrent: CONCURRENT },
    ringSeconds: RING,
    // Always open (UTC 00:00–23:59 each day); one attempt per contact so the run is bounded.
    window: { weekly: [{ days: EVERY_DAY, open: '00:00', close: '23:59' }] },
    retries: { busy: noRetry, no_answer: noRetry, failed: noRetry, machine: noRetry, abandoned: noRetry },
  });
  const { rows } = await stack.pool.query<{ id: string }>(
    'insert into campaigns (tenant_id, name, config) values ($1, $2, $3) returning id',
    [stack.tenantId, `campaign bench ${new Date().toISOString()}`, config],
  );
  const id = rows[0]!.id;
  const phones = Array.from({ length: CONTACTS }, (_, i) => partyNumber(i));
  await stack.pool.query(
    `insert into campaign_contacts (campaign_id, phone, time_zone, line)
     select $1, phone, 'Etc/UTC', line + 1 from unnest($2::text[]) with ordinality as t(phone, line)`,
    [id, phones],
  );
  return id;
}

/** Waits for the campaign to complete, printing its progress every 10 s; false when `deadline` passed first. */
async function runToEnd(stack: BenchStack, campaignId: string, deadline: number, live: () => string) {
  for (let tick = 0; ; tick++) {
    const { rows } = await stack.pool.query<{ state: string }>('select state from campaigns where id = $1', [
      campaignId,
    ]);
    if (rows[0]?.state === 'completed') return true;
    if (Date.now() > deadline) return false;
    if (tick % 5 === 0) {
      const p = await stack
        .api<CampaignProgress>('GET', `/v1/campaigns/${campaignId}/progress`)
        .catch(() => undefined);
      if (p)
        console.log(`  launched ${p.launched}, finished ${p.finished}, in flight ${p.inFlight}, ${live()}`);
    }
    await sleep(2000);
  }
}

/** Stops what is left of the campaign and its calls, and deletes its rows (contacts and attempts cascade). */
async function cleanup(stack: BenchStack, campaignId: string | undefined, prefixes: string[]): Promise<void> {
  if (campaignId) {
    const { rows } = await stack.pool.query<{ state: string }>('select state from campaigns where id = $1', [
      campaignId,
    ]);
    if (rows[0]?.state === 'running' || rows[0]?.state === 'paused') {
      await stack
        .api('POST', `/v1/campaigns/${campaignId}/stop`, {})
        .catch((e: Error) => console.warn(e.message));
    }
  }
  // Anything of this bench's task queue still running would wait forever once the worker is gone.
  const query = `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Running'`;
  for await (const wf of stack.temporal.workflow.list({ query })) {
    await stack.temporal.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('campaign bench cleanup')
      .catch(() => undefined);
  }
  const channels = await stack.ari.listChannels().catch(() => []);
  for (const c of channels.filter((ch) => prefixes.some((p) => p && ch.id.startsWith(p)))) {
    await stack.ari.hangup(c.id).catch(() => undefined);
  }
  if (campaignId) await stack.pool.query('delete from campaigns where id = $1', [campaignId]);
}

/** Ends the list where the campaign is (--cut): the contacts not yet claimed are deleted. */
const cutList = (stack: BenchStack, campaignId: string) =>
  stack.pool
    .query(`delete from campaign_contacts where campaign_id = $1 and state = 'pending' and claim is null`, [
      campaignId,
    ])
    .then(
      (r) => console.log(`  cut: ${r.rowCount} contacts removed`),
      (e: Error) => console.warn(`cut: ${e.message}`),
    );

const within5 = (achieved: number): boolean => Math.abs(achieved - RATE) / RATE <= 0.05;
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const stack = await startBenchStack({
    name: 'campaign-dialer',
    apiPort: Number(args['api-port']),
    bridges: true,
    workerEnv: { OUTBOUND_DIAL: DIAL },
  });
  const watch = new ChannelWatch(stack.config, `${stack.app}-watch`, stack.ari);
  const barePrefix = `bench-bare-${Date.now().toString(36)}-`;
  const prefixes = [barePrefix];
  let campaignId: string | undefined;
  const samplers: Sampler<unknown>[] = [];
  const file = path.join(
    __dirname,
    'results',
    `campaign-dialer-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  await mkdir(path.dirname(file), { recursive: true });
  let checkpoint: NodeJS.Timeout | undefined;
  try {
    await watch.start();
    const channels = channelSampler(stack.ari, () => prefixes);
    const load = new Sampler(5000, () => round(os.loadavg()[0]!, 2));
    samplers.push(channels, load);

    console.log(`baseline: bare ARI originates at ${RATE}/s for ${args.baseline} s …`);
    const bareCreated = watch.watch(barePrefix);
    const bare = await bareDialer(stack.ari, {
      app: watch.app,
      prefix: barePrefix,
      rate: RATE,
      seconds: Number(args.baseline),
      ringSeconds: RING,
      dial: DIAL,
    });
    await sleep((RING + 3) * 1000);
    const bareRate = steadyRate(bareCreated, TRIM_MS);
    const bareMax = Math.max(0, ...channels.samples.map((s) => s.value[barePrefix] ?? 0));
    console.log(`  ${bareRate.perSecond}/s (${bare.refused} refused), at most ${bareMax} calls at once`);

    const flowId = await beepFlow(stack);
    campaignId = await createCampaign(stack, flowId);
    const legPrefix = `campaign-${campaignId}-`;
    prefixes.push(legPrefix);
    const legCreated = watch.watch(legPrefix);
    const rss = memorySampler(childPid('workers/worker.ts'));
    samplers.push(rss);
    console.log(`campaign ${campaignId}: ${CONTACTS} contacts at ${RATE}/s, at most ${CONCURRENT} at once …`);
    const startedAt = Date.now();
    const series = () => ({
      workerRssMiB: rss.samples.map((s) => [s.at - startedAt, s.value]),
      callsInAsterisk: channels.samples
        .filter((s) => s.at >= startedAt)
        .map((s) => [s.at - startedAt, s.value[legPrefix] ?? 0]),
      loadAverage1m: load.samples.filter((s) => s.at >= startedAt).map((s) => [s.at - startedAt, s.value]),
    });
    // The series so far, each minute: what a killed run leaves (its rows stay in PostgreSQL, not cleaned up).
    checkpoint = setInterval(() => {
      const partial = { partial: true, campaignId, startedAt: new Date(startedAt), series: series() };
      writeFile(file, JSON.stringify(partial)).catch(() => undefined);
    }, 60_000);
    await stack.api('POST', `/v1/campaigns/${campaignId}/start`, {}, 202);
    const deadline = startedAt + Number(args.timeout ?? (CONTACTS / RATE) * 3 + 180) * 1000;
    const cutAfterMs = Number(args.cut ?? NaN) * 1000;
    const cut = cutAfterMs ? setTimeout(() => void cutList(stack, campaignId!), cutAfterMs) : undefined;
    const completed = await runToEnd(stack, campaignId, deadline, () => {
      const c = channels.samples.at(-1)?.value[legPrefix] ?? 0;
      return `${c} calls in Asterisk, worker RSS ${rss.samples.at(-1)?.value ?? '?'} MiB, load ${os.loadavg()[0]!.toFixed(2)}`;
    });
    clearTimeout(cut);
    const durationSec = round((Date.now() - startedAt) / 1000);
    await sleep(1000);
    await Promise.all(samplers.map((s) => s.stop()));

    const { rows: attempts } = await stack.pool.query<{
      started_at: Date;
      ended_at: Date | null;
      disposition: string;
    }>('select started_at, ended_at, disposition from campaign_attempts where campaign_id = $1', [
      campaignId,
    ]);
    const dispositions: Record<string, number> = {};
    for (const a of attempts) dispositions[a.disposition] = (dispositions[a.disposition] ?? 0) + 1;
    const dbRate = steadyRate(
      attempts.map((a) => a.started_at.getTime()),
      TRIM_MS,
    );
    const asteriskRate = steadyRate(legCreated, TRIM_MS);
    const dbOverlap = maxOverlap(
      attempts.map((a) => ({ start: a.started_at.getTime(), end: (a.ended_at ?? a.started_at).getTime() })),
    );
    const campaignSamples = channels.samples.filter((s) => s.at >= startedAt);
    const asteriskMax = Math.max(0, ...campaignSamples.map((s) => s.value[legPrefix] ?? 0));
    const rssValues = rss.samples.map((s) => s.value);
    const secondHalf = rss.samples.slice(Math.floor(rss.samples.length / 2));
    const { runs, timers } = await campaignRuns(stack, campaignId);
    const attemptSizes = await attemptHistories(stack, campaignId);

    const report = {
      date: new Date().toISOString(),
      machine: machine(),
      campaignId,
      configured: { contacts: CONTACTS, callsPerSecond: RATE, maxConcurrent: CONCURRENT, ringSeconds: RING },
      loadAverage1m: summarize(load.samples.map((s) => s.value)),
      baseline: {
        seconds: Number(args.baseline),
        ...bare,
        achievedPerSecond: bareRate.perSecond,
        windowSec: bareRate.windowSec,
        perSecondSpread: spread(bareRate.secondBins),
        withinFivePercent: within5(bareRate.perSecond),
        maxConcurrentInAsterisk: bareMax,
      },
      campaign: {
        completed,
        durationSec,
        attempts: attempts.length,
        dispositions,
        rateFromStartedAt: {
          achievedPerSecond: dbRate.perSecond,
          windowSec: dbRate.windowSec,
          perSecondSpread: spread(dbRate.secondBins),
          withinFivePercent: within5(dbRate.perSecond),
        },
        rateFromChannelCreated: {
          achievedPerSecond: asteriskRate.perSecond,
          windowSec: asteriskRate.windowSec,
          perSecondSpread: spread(asteriskRate.secondBins),
          withinFivePercent: within5(asteriskRate.perSecond),
        },
        concurrency: {
          maxFromAttempts: dbOverlap.max,
          maxInAsterisk: asteriskMax,
          exceeded: dbOverlap.max > CONCURRENT || asteriskMax > CONCURRENT,
          samples: campaignSamples.length,
        },
        workerRssMiB: {
          first: rssValues[0],
          max: Math.max(...rssValues),
          last: rssValues.at(-1),
          slopePerMinute: slopePerMinute(rss.samples),
          secondHalfSlopePerMinute: slopePerMinute(secondHalf),
        },
        history: {
          campaignRuns: runs.length,
          runEvents: summarize(runs.map((r) => r.events)),
          runBytes: summarize(runs.map((r) => r.bytes)),
          // The pacing sleeps: what the workflow asked for and when Temporal fired them.
          pacingTimers: {
            requestedMs: summarize(timers.map((t) => t.requestedMs)),
            firedAfterMs: summarize(timers.map((t) => t.firedAfterMs)),
          },
          attemptsByDisposition: attemptSizes,
        },
      },
      series: { ...series(), startsPerSecond: dbRate.secondBins },
    };
    clearInterval(checkpoint);
    const { series: all, ...figures } = report;
    console.log(JSON.stringify(figures, null, 2));
    console.log(`(${all.callsInAsterisk.length} channel and ${all.workerRssMiB.length} memory samples)`);
    await writeFile(file, JSON.stringify(report, null, 2));
    console.log(`results: ${file}`);
  } finally {
    clearInterval(checkpoint);
    await Promise.all(samplers.map((s) => s.stop()));
    await cleanup(stack, campaignId, prefixes).catch((e: unknown) => console.warn('cleanup:', e));
    await watch.stop();
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
