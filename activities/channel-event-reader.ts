/**
 * One reader of the ARI stream per Asterisk node and worker, shared by every activity's cursor (issue #14,
 * direction D). A cursor used to be an ephemeral JetStream consumer of its own: three JetStream API calls to
 * create, look up and delete, for every prompt, digit collection and dial, and one more filter for NATS to
 * match every message against. Here a single ordered consumer per node reads `ari.<node>.>` from the moment
 * the worker starts, keeps each channel's events in memory while the channel lives (and a little after), and
 * serves cursors from that.
 *
 * A cursor is served here only when the buffers are known to hold everything from its sequence on: the
 * reader started at or before it, and each channel asked for is either buffered or has not been seen since a
 * channel was last evicted after that sequence. Otherwise (a retried activity after a restart, an old
 * sequence, a channel evicted after a long silence) the fallback reads with a consumer of its own, as before.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from 'nats';
import { ARI_STREAM, ARI_SUBJECT_ROOT, subjectToken, type AriEvent } from '../asterisk/ari-events';
import {
  CursorQueue,
  type ChannelEventCursor,
  type ChannelEventSource,
  type SequencedEvent,
} from './channel-events';

export interface SharedReaderOptions {
  /** How long a destroyed channel's events stay (a cursor opened just after the hangup still finds them). @default 10000 */
  keepAfterEndMs?: number;
  /** A channel silent this long is dropped (later cursors fall back). @default 3600000 */
  dropSilentAfterMs?: number;
  /** Events kept per channel; a channel past it is dropped and read by the fallback. @default 5000 */
  maxEventsPerChannel?: number;
}

interface ChannelBuffer {
  events: SequencedEvent[];
  lastSeq: number;
  lastAt: number;
  endedAt?: number;
}

/** The events of one node, read once. */
class NodeReader {
  readonly channels = new Map<string, ChannelBuffer>();
  /** Cursors waiting for more, by channel token. */
  readonly listeners = new Map<string, Set<SharedCursor>>();
  /** Highest last sequence of any channel dropped: a channel not buffered is complete only after it. */
  evictedUpTo = 0;
  /**
   * Channels dropped, for as long as a silent channel is kept: an event arriving for one later (a late
   * playback event) must not start a buffer that looks complete.
   */
  private readonly gone = new Map<string, number>();
  healthy = true;
  private messages?: ConsumerMessages;

  constructor(
    readonly node: string,
    readonly startSeq: number,
    private readonly options: Required<SharedReaderOptions>,
  ) {}

  async start(js: JetStreamClient, onEnd: () => void): Promise<void> {
    const consumer = await js.consumers.get(ARI_STREAM, {
      filterSubjects: `${ARI_SUBJECT_ROOT}.${this.node}.>`,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.startSeq,
    });
    this.messages = await consumer.consume({ max_messages: 512 });
    void (async () => {
      try {
        for await (const m of this.messages!) {
          const [, , token, type] = m.subject.split('.');
          if (!token || token === '_') continue;
          this.add(token, type ?? '', { seq: m.seq, event: m.json<AriEvent>() });
        }
      } catch {
        // Ended below: every open cursor fails and is retried by its activity from its own sequence.
      } finally {
        this.healthy = false;
        for (const cursors of this.listeners.values()) for (const c of cursors) c.end();
        onEnd();
      }
    })();
  }

  stop(): void {
    this.healthy = false;
    void this.messages?.close();
  }

  /** Whether a cursor from `fromSeq` on these channel tokens can be served from the buffers. */
  covers(tokens: readonly string[], fromSeq: number): boolean {
    if (!this.healthy || fromSeq < this.startSeq) return false;
    return tokens.every((t) => !this.gone.has(t) && (this.channels.has(t) || fromSeq > this.evictedUpTo));
  }

  private add(token: string, type: string, item: SequencedEvent): void {
    // A dropped channel is no longer buffered, but cursors still open on it keep getting its events.
    if (!this.gone.has(token)) {
      let buffer = this.channels.get(token);
      if (!buffer) this.channels.set(token, (buffer = { events: [], lastSeq: 0, lastAt: 0 }));
      buffer.events.push(item);
      buffer.lastSeq = item.seq;
      buffer.lastAt = Date.now();
      if (type === 'ChannelDestroyed' || type === 'BridgeDestroyed') buffer.endedAt = buffer.lastAt;
      if (buffer.events.length > this.options.maxEventsPerChannel) this.evict(token, buffer);
    }
    for (const cursor of this.listeners.get(token) ?? []) cursor.push(item);
  }

  /** Drops channels ended a while ago or silent for long. */
  sweep(now: number): void {
    for (const [token, buffer] of this.channels) {
      const ended = buffer.endedAt !== undefined && now - buffer.endedAt > this.options.keepAfterEndMs;
      if (ended || now - buffer.lastAt > this.options.dropSilentAfterMs) this.evict(token, buffer);
    }
    for (const [token, at] of this.gone) {
      if (now - at > this.options.dropSilentAfterMs) this.gone.delete(token);
      else break; // in the order they went
    }
  }

  private evict(token: string, buffer: ChannelBuffer): void {
    this.channels.delete(token);
    this.gone.set(token, Date.now());
    this.evictedUpTo = Math.max(this.evictedUpTo, buffer.lastSeq);
  }
}

class SharedCursor implements ChannelEventCursor {
  private readonly queue = new CursorQueue();

  constructor(
    private readonly reader: NodeReader,
    private readonly tokens: readonly string[],
    private readonly fromSeq: number,
  ) {
    // What the buffers hold, merged in stream order, then everything that arrives: both in this tick, so
    // nothing falls between them.
    const held = tokens.flatMap((t) => reader.channels.get(t)?.events ?? []);
    this.queue.push(...held.filter((e) => e.seq >= fromSeq).sort((a, b) => a.seq - b.seq));
    for (const t of tokens) {
      let set = reader.listeners.get(t);
      if (!set) reader.listeners.set(t, (set = new Set()));
      set.add(this);
    }
  }

  push(item: SequencedEvent): void {
    if (item.seq >= this.fromSeq) this.queue.push(item);
  }

  end(): void {
    this.queue.end('the shared reader stopped');
  }

  next(timeoutMs: number): Promise<SequencedEvent | undefined> {
    return this.queue.next(timeoutMs);
  }

  async close(): Promise<void> {
    this.queue.close();
    for (const t of this.tokens) {
      const set = this.reader.listeners.get(t);
      set?.delete(this);
      if (set?.size === 0) this.reader.listeners.delete(t);
    }
  }
}

/**
 * Cursors from one shared reader per node, with `fallback` (consumers of their own) for what the readers
 * cannot vouch for. `watch` each node the worker serves when it starts; a reader that stops (NATS restarted)
 * is started again from the stream's position then.
 */
export class SharedChannelEvents implements ChannelEventSource {
  private readonly readers = new Map<string, NodeReader>();
  private readonly options: Required<SharedReaderOptions>;
  private readonly sweeper: NodeJS.Timeout;
  /** Cursors served by a shared reader and by the fallback, for the worker's statistics. */
  readonly served = { shared: 0, fallback: 0 };

  constructor(
    private readonly js: JetStreamClient,
    private readonly fallback: ChannelEventSource,
    options: SharedReaderOptions = {},
  ) {
    this.options = {
      keepAfterEndMs: options.keepAfterEndMs ?? 10_000,
      dropSilentAfterMs: options.dropSilentAfterMs ?? 3_600_000,
      maxEventsPerChannel: options.maxEventsPerChannel ?? 5000,
    };
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const r of this.readers.values()) r.sweep(now);
    }, 1000);
    this.sweeper.unref();
  }

  /** Starts reading `node`'s events from the stream's current position. */
  async watch(node: string): Promise<void> {
    const reader = new NodeReader(node, await this.position(), this.options);
    this.readers.set(node, reader);
    await reader.start(this.js, () => {
      if (this.readers.get(node) !== reader) return;
      this.readers.delete(node);
      // Back after NATS: a new reader from the position then (older cursors use the fallback).
      setTimeout(() => void this.watch(node).catch(() => undefined), 1000).unref();
    });
  }

  async open(
    node: string,
    channelId: string | readonly string[],
    fromSeq: number,
  ): Promise<ChannelEventCursor> {
    const ids = typeof channelId === 'string' ? [channelId] : channelId;
    const tokens = ids.map(subjectToken);
    const reader = this.readers.get(node);
    if (reader?.covers(tokens, fromSeq)) {
      this.served.shared++;
      return new SharedCursor(reader, tokens, fromSeq);
    }
    this.served.fallback++;
    return this.fallback.open(node, channelId, fromSeq);
  }

  position(): Promise<number> {
    return this.fallback.position();
  }

  /** Channels buffered per node (for the worker's statistics). */
  get buffered(): Record<string, number> {
    return Object.fromEntries([...this.readers].map(([node, r]) => [node, r.channels.size]));
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const r of this.readers.values()) r.stop();
    this.readers.clear();
  }
}
