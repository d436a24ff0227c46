/**
 * The gateway of the abuse bench (bench/abuse-event-loop.ts): the real gateway (buildGateway, as
 * gateway/server.ts starts it) in a process of its own, so the bench's clients do not share its event loop,
 * with `monitorEventLoopDelay` on. Over IPC: `reset` starts a measurement window, `report` answers the
 * event-loop lag since the last reset. Started with an IPC channel (process.send), it answers `ready` once
 * listening. Import only its types: importing its values would start a gateway.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildGateway } from '../gateway/app';
import { loadConfig } from '../lib/config';

/** The histogram's timer, in ms: each sample is the interval at which a 10 ms timer actually fired. */
const RESOLUTION_MS = 10;

export type GatewayRequest = { type: 'reset' } | { type: 'report' };

/** Lag in ms: the timer's interval minus the resolution (as @fastify/under-pressure counts it), at least 0. */
export interface LoopLag {
  p50: number;
  p99: number;
  max: number;
  mean: number;
  /** Samples in the window: about one per 10 ms, but only one for a block however long. */
  samples: number;
  resolutionMs: number;
}

export type GatewayMessage = { type: 'ready' } | { type: 'reset' } | ({ type: 'report' } & LoopLag);

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/abuse-gateway.ts is started by bench/abuse-event-loop.ts (IPC)');
  const send = (message: GatewayMessage): void => void process.send!(message);
  const config = loadConfig();
  const app = await buildGateway({ config });
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const lag = (ns: number): number => Math.round(Math.max(0, ns / 1e6 - RESOLUTION_MS) * 10) / 10;
  process.on('message', (message: GatewayRequest) => {
    if (message.type === 'reset') {
      histogram.reset();
      // Acknowledged a few ticks later: reset forgets the previous tick, so a block starting before the
      // next one would be lost (the first tick after it has nothing to measure from).
      setTimeout(() => send({ type: 'reset' }), RESOLUTION_MS * 3);
    } else if (message.type === 'report') {
      // Answered a few timer ticks later: when the message waited behind a block, the histogram's timer
      // (late by the whole block) has then fired and recorded it. Answering at once reported an empty
      // histogram for a block that spanned the whole window.
      setTimeout(() => send(report()), RESOLUTION_MS * 3);
    }
  });
  const report = (): GatewayMessage => ({
    type: 'report',
    p50: lag(histogram.percentile(50)),
    p99: lag(histogram.percentile(99)),
    max: lag(histogram.max),
    mean: lag(histogram.mean),
    samples: histogram.count,
    resolutionMs: RESOLUTION_MS,
  });
  // The bench going away (IPC closed) ends the gateway too.
  process.once('disconnect', () => void app.close().then(() => process.exit(0)));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  }
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  histogram.enable();
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
