/**
 * What happened to each call of a capacity step (bench/capacity.ts), read back from the ARI stream in
 * JetStream with Asterisk's own timestamps (one clock): when it was answered, the prompts it heard, the keys
 * Asterisk received, when it ended. Both IVRs are read the same way: CTICloud's prompts are ARI playbacks,
 * the dialplan's are its Playback, Read and SayDigits applications (the mirror bridge sees every channel).
 */
import { DeliverPolicy, type JetStreamClient } from 'nats';
import { ARI_STREAM, ARI_SUBJECT_ROOT, eventResource, type AriEvent } from '../asterisk/ari-events';
import { asteriskTime } from './acd-kit';
import { summarize, type Summary } from './stats';

export type IvrKind = 'cticloud' | 'dialplan';

/** One call as Asterisk saw it; times in epoch ms. */
export interface CallTimeline {
  channelId: string;
  caller: string;
  created: number;
  up?: number;
  destroyed?: number;
  prompts: { start: number; end?: number }[];
  keys: { digit: string; at: number }[];
}

/** The events read; the others of the node are skipped (one filter subject: NATS before 2.10 takes no list). */
const EVENT_TYPES = new Set([
  'ChannelCreated',
  'ChannelStateChange',
  'ChannelDialplan',
  'ChannelDtmfReceived',
  'PlaybackStarted',
  'PlaybackFinished',
  'ChannelDestroyed',
]);
/** The dialplan baseline's prompts: each application plays one. */
const DIALPLAN_PROMPT_APPS = new Set(['Playback', 'Read', 'SayDigits']);

/** Every call to `number` on Asterisk `node` whose channel was created at or after `since`, from the ARI stream. */
export async function readTimelines(
  js: JetStreamClient,
  node: string,
  kind: IvrKind,
  number: string,
  since: Date,
): Promise<CallTimeline[]> {
  const cursor = await js.consumers.get(ARI_STREAM, {
    filterSubjects: `${ARI_SUBJECT_ROOT}.${node}.>`,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: since.toISOString(),
  });
  // Grouped by channel first and put in Asterisk's order after: two bridges publish a call's events (the
  // mirror alone sees ChannelCreated, the app's owner the rest), so the stream may store them out of order.
  const byResource = new Map<string, { event: AriEvent; at: number }[]>();
  // Read up to what the stream held when we started. An empty batch is no proof of the end: the ordered
  // consumer is recreated between batches, and under load a batch came back empty with thousands to go.
  const { state } = await (await js.jetstreamManager()).streams.info(ARI_STREAM);
  try {
    for (let [done, emptyBatches] = [false, 0]; !done && emptyBatches < 5;) {
      let count = 0;
      for await (const m of await cursor.fetch({ max_messages: 1000, expires: 2000 })) {
        count++;
        done ||= m.seq >= state.last_seq || m.info.pending === 0;
        const event = m.json<AriEvent>();
        if (!EVENT_TYPES.has(event.type)) continue;
        const resource = eventResource(event);
        const events = byResource.get(resource) ?? [];
        events.push({ event, at: asteriskTime(event.timestamp) });
        byResource.set(resource, events);
      }
      emptyBatches = count ? 0 : emptyBatches + 1;
    }
  } finally {
    await cursor.delete().catch(() => undefined);
  }
  const calls: CallTimeline[] = [];
  for (const [channelId, events] of byResource) {
    const created = events.find((e) => e.event.type === 'ChannelCreated');
    if (created?.event.channel?.dialplan?.exten !== number) continue;
    const call: CallTimeline = {
      channelId,
      caller: created.event.channel.caller.number,
      created: created.at,
      prompts: [],
      keys: [],
    };
    const playbacks = new Map<string, { start: number; end?: number }>();
    for (const { event, at } of events.sort((a, b) => a.at - b.at)) record(call, kind, event, at, playbacks);
    calls.push(call);
  }
  return calls;
}

function record(
  call: CallTimeline,
  kind: IvrKind,
  event: AriEvent,
  at: number,
  playbacks: Map<string, { start: number; end?: number }>,
): void {
  const last = call.prompts.at(-1);
  switch (event.type) {
    case 'ChannelStateChange':
      if (event.channel?.state === 'Up') call.up ??= at;
      break;
    case 'ChannelDtmfReceived':
      call.keys.push({ digit: event.digit ?? '?', at });
      break;
    case 'ChannelDestroyed':
      call.destroyed = at;
      if (last && last.end === undefined) last.end = at;
      break;
    case 'PlaybackStarted':
      if (kind === 'cticloud' && event.playback) {
        const prompt = { start: at };
        playbacks.set(event.playback.id, prompt);
        call.prompts.push(prompt);
      }
      break;
    case 'PlaybackFinished': {
      const prompt = event.playback && playbacks.get(event.playback.id);
      if (prompt) prompt.end = at;
      break;
    }
    case 'ChannelDialplan':
      if (kind !== 'dialplan') break;
      // A dialplan prompt ends when the channel moves on to its next application.
      if (last && last.end === undefined) last.end = at;
      if (DIALPLAN_PROMPT_APPS.has(String(event.dialplan_app))) call.prompts.push({ start: at });
      break;
  }
}

/**
 * The silences a caller waits through: from the end of a prompt, or from the key that ended it, whichever
 * is later, to the start of the next prompt (the lookup's time included), and from the last prompt to the
 * hang-up.
 */
export function gapsOf(call: CallTimeline): number[] {
  const gaps: number[] = [];
  const waitFrom = (end: number | undefined, before: number) =>
    Math.max(end ?? NaN, ...call.keys.filter((k) => k.at <= before).map((k) => k.at));
  for (let k = 1; k < call.prompts.length; k++) {
    const prompt = call.prompts[k]!;
    gaps.push(prompt.start - waitFrom(call.prompts[k - 1]!.end, prompt.start));
  }
  const last = call.prompts.at(-1);
  if (last && call.destroyed !== undefined) gaps.push(call.destroyed - waitFrom(last.end, call.destroyed));
  return gaps.filter(Number.isFinite);
}

/** Calls up at once: the most, and the average over the span from the first call to the last hang-up. */
export function concurrency(calls: readonly CallTimeline[]): { max: number; mean: number } {
  const edges = calls
    .flatMap((c) => (c.destroyed === undefined ? [] : [[c.created, 1] as const, [c.destroyed, -1] as const]))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let [open, max, area] = [0, 0, 0];
  for (let i = 0; i < edges.length; i++) {
    open += edges[i]![1];
    max = Math.max(max, open);
    if (i + 1 < edges.length) area += open * (edges[i + 1]![0] - edges[i]![0]);
  }
  const span = edges.length ? edges.at(-1)![0] - edges[0]![0] : 0;
  return { max, mean: span > 0 ? Math.round((area / span) * 10) / 10 : 0 };
}

/** What the caller pressed, what Asterisk, the lookup and (CTICloud) the CDR got: each call once. */
export interface CallVerdicts {
  placed: number;
  /** Calls the caller placed that never became a channel up. */
  notAnswered: number;
  promptMissing: number;
  /** Keys Asterisk did not receive in full: the caller's or Asterisk's side, not the IVR's. */
  keysNotReceived: number;
  /** Asterisk received the keys but the lookup, or CTICloud's CDR, did not get them. */
  digitLost: number;
  /** The IVR did not hang up by the end of the step. */
  notHungUp: number;
  /** Calls with at least one of the above. */
  failed: number;
  /** A few failed calls and what went wrong, to look them up. */
  failedExamples: { channelId: string; caller: string; problems: string[] }[];
  failedRatio: number;
  gapMs: Summary;
  firstPromptMs: Summary;
  callSeconds: Summary;
}

export interface Expected {
  keys: string;
  code: string;
  prompts: number;
  /** Codes the lookup received, by caller number. */
  codesByCaller: ReadonlyMap<string, readonly string[]>;
  /** CTICloud only: the CDR's digits by channel id. */
  cdrDigits?: ReadonlyMap<string, string>;
}

export function judge(calls: readonly CallTimeline[], placed: number, expected: Expected): CallVerdicts {
  const counts = { promptMissing: 0, keysNotReceived: 0, digitLost: 0, notHungUp: 0, notAnswered: 0 };
  const failedExamples: CallVerdicts['failedExamples'] = [];
  for (const call of calls) {
    const problems = {
      notAnswered: call.up === undefined,
      promptMissing: call.prompts.length < expected.prompts,
      keysNotReceived: call.keys.map((k) => k.digit).join('') !== expected.keys,
      digitLost:
        (expected.codesByCaller.get(call.caller) ?? []).join(',') !== expected.code ||
        (expected.cdrDigits !== undefined && expected.cdrDigits.get(call.channelId) !== expected.keys),
      notHungUp: call.destroyed === undefined,
    };
    for (const [name, failed] of Object.entries(problems)) if (failed) counts[name as keyof typeof counts]++;
    const names = Object.keys(problems).filter((name) => problems[name as keyof typeof problems]);
    if (names.length)
      failedExamples.push({ channelId: call.channelId, caller: call.caller, problems: names });
  }
  const neverUp = Math.max(0, placed - calls.length);
  const failed = failedExamples.length + neverUp;
  return {
    placed,
    ...counts,
    notAnswered: counts.notAnswered + neverUp,
    failed,
    failedRatio: placed ? Math.round((failed / placed) * 10_000) / 10_000 : 0,
    failedExamples: failedExamples.slice(0, 5),
    gapMs: summarize(calls.flatMap(gapsOf)),
    firstPromptMs: summarize(calls.map((c) => (c.prompts[0]?.start ?? NaN) - c.created)),
    callSeconds: summarize(calls.map((c) => ((c.destroyed ?? NaN) - c.created) / 1000)),
  };
}
