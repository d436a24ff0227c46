/**
 * What the campaign-dialer benchmark observes from outside CTICloud: channel creation times from an ARI
 * WebSocket subscribed to every channel (which also runs the bare-ARI baseline dialer), the number of calls
 * Asterisk holds over time, a process's memory over time, and the arithmetic on those series (steady-state
 * rate, overlap of intervals, memory slope).
 */
import { AriEventStream } from '../asterisk/ari';
import type { AriCommands } from '../asterisk/ari-commands';
import type { Config } from '../lib/config';
import { asteriskTime, processMemory, sleep } from './acd-kit';

/** The synthetic party of contact `i`: 10 % busy (2xxxxxx), 5 % never answer (3xxxxxx), the rest 7xxxxxx. */
export function partyNumber(i: number): string {
  const kind = i % 20 < 2 ? '2' : i % 20 === 2 ? '3' : '7';
  return `${kind}${String(i % 1_000_000).padStart(6, '0')}`;
}

/** A series sampled at a fixed period until stopped. */
export class Sampler<T> {
  readonly samples: { at: number; value: T }[] = [];
  private running = true;
  private done: Promise<void>;

  constructor(periodMs: number, read: () => Promise<T> | T) {
    this.done = (async () => {
      for (let next = Date.now(); this.running; next += periodMs) {
        try {
          this.samples.push({ at: Date.now(), value: await read() });
        } catch {
          // A missed sample (ARI busy, process gone) is a gap, not a failure of the bench.
        }
        await sleep(Math.max(0, next + periodMs - Date.now()));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** Samples a process's resident memory (VmRSS, MiB) every `periodMs`. */
export const memorySampler = (pid: number, periodMs = 5000): Sampler<number> =>
  new Sampler(periodMs, () => processMemory(pid).rssMiB);

/** Samples how many calls Asterisk holds whose channel id starts with each prefix (`;2` halves not counted). */
export function channelSampler(ari: AriCommands, prefixes: () => string[], periodMs = 500) {
  return new Sampler(periodMs, async () => {
    const ids = (await ari.listChannels()).map((c) => c.id).filter((id) => !id.includes(';'));
    return Object.fromEntries(prefixes().map((p) => [p, ids.filter((id) => id.startsWith(p)).length]));
  });
}

/**
 * One ARI WebSocket subscribed to all channels: it records when Asterisk created the channels whose id
 * starts with a watched prefix (Asterisk's own event timestamp), and is the Stasis app of the baseline's
 * calls, which it treats like the campaign's flow: play `beep`, then hang up.
 */
export class ChannelWatch {
  readonly created = new Map<string, number[]>();
  private readonly stream: AriEventStream;

  constructor(
    config: Config,
    readonly app: string,
    private readonly ari: AriCommands,
  ) {
    this.stream = new AriEventStream({
      url: config.ARI_URL,
      user: config.ARI_USER,
      password: config.ARI_PASSWORD,
      app,
      subscribeAll: true,
    });
    this.stream.on('event', (e) => {
      const id = e.channel?.id;
      if (e.type === 'ChannelCreated' && id && !id.includes(';')) {
        for (const [prefix, times] of this.created)
          if (id.startsWith(prefix)) times.push(asteriskTime(e.timestamp));
      } else if (e.type === 'StasisStart' && id && e.application === app) {
        this.ari
          .play(id, ['sound:beep'], `${id}~beep`)
          .catch(() => this.ari.hangup(id).catch(() => undefined));
      } else if (e.type === 'PlaybackFinished' && e.playback?.id.endsWith('~beep')) {
        this.ari.hangup(e.playback.id.slice(0, -'~beep'.length)).catch(() => undefined);
      }
    });
  }

  /** Starts recording channels whose id starts with `prefix`. */
  watch(prefix: string): number[] {
    const times: number[] = [];
    this.created.set(prefix, times);
    return times;
  }

  async start(): Promise<void> {
    const connected = new Promise<void>((resolve) => this.stream.once('connected', resolve));
    this.stream.start();
    await connected;
  }

  stop(): Promise<void> {
    return this.stream.stop();
  }
}

/**
 * The baseline: a bare loop of ARI originates at `rate` per second for `seconds` to the same parties, with
 * the same ring timeout, into the watch's app. Originates are not awaited in turn, so a slow one does not
 * delay the next; answers how many ARI refused.
 */
export async function bareDialer(
  ari: AriCommands,
  options: { app: string; prefix: string; rate: number; seconds: number; ringSeconds: number; dial: string },
): Promise<{ originated: number; refused: number }> {
  const total = Math.round(options.rate * options.seconds);
  const start = Date.now();
  const pending: Promise<void>[] = [];
  let refused = 0;
  for (let i = 0; i < total; i++) {
    await sleep(Math.max(0, start + (i * 1000) / options.rate - Date.now()));
    pending.push(
      ari
        .originate({
          endpoint: options.dial.replaceAll('{number}', partyNumber(i)),
          app: options.app,
          channelId: `${options.prefix}${i}`,
          callerId: '5550199',
          timeout: options.ringSeconds,
          formats: 'ulaw',
        })
        .then(
          () => undefined,
          () => void refused++,
        ),
    );
  }
  await Promise.all(pending);
  return { originated: total, refused };
}

/** Rate in the steady state: the events from `trimMs` after the first to `trimMs` before the last. */
export function steadyRate(times: readonly number[], trimMs: number) {
  const sorted = [...times].sort((a, b) => a - b);
  if (sorted.length < 2) return { perSecond: NaN, windowSec: 0, events: sorted.length, secondBins: [] };
  const from = sorted[0]! + trimMs;
  const to = sorted.at(-1)! - trimMs;
  const inside = sorted.filter((t) => t >= from && t < to);
  const windowSec = (to - from) / 1000;
  // Whole seconds of the window: how even the pace is from one second to the next.
  const bins = new Array<number>(Math.max(0, Math.floor(windowSec))).fill(0);
  for (const t of inside) {
    const bin = Math.floor((t - from) / 1000);
    if (bin < bins.length) bins[bin]!++;
  }
  // Mean interval between the first and last event inside: no edge error of a count over a window.
  const span = ((inside.at(-1) ?? 0) - (inside[0] ?? 0)) / 1000;
  return {
    perSecond: inside.length > 1 ? Math.round(((inside.length - 1) / span) * 1000) / 1000 : NaN,
    windowSec: Math.round(windowSec * 10) / 10,
    events: inside.length,
    secondBins: bins,
  };
}

/** Most intervals open at once; an interval ending exactly when another starts does not overlap it. */
export function maxOverlap(intervals: readonly { start: number; end: number }[]): {
  max: number;
  at: number;
} {
  const edges = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let best = { max: 0, at: NaN };
  for (const e of edges) {
    open += e.d;
    if (open > best.max) best = { max: open, at: e.t };
  }
  return best;
}

/** Least-squares slope of a series, in value units per minute. */
export function slopePerMinute(samples: readonly { at: number; value: number }[]): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const mx = samples.reduce((s, p) => s + p.at, 0) / n;
  const my = samples.reduce((s, p) => s + p.value, 0) / n;
  const sxy = samples.reduce((s, p) => s + (p.at - mx) * (p.value - my), 0);
  const sxx = samples.reduce((s, p) => s + (p.at - mx) ** 2, 0);
  return Math.round((sxy / sxx) * 60_000 * 100) / 100;
}

/** Minimum, median and maximum of whole-second counts. */
export function spread(bins: readonly number[]): { min: number; p50: number; max: number } {
  const sorted = [...bins].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? NaN,
    p50: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    max: sorted.at(-1) ?? NaN,
  };
}
