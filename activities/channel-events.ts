import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from 'nats';
import { ARI_STREAM, channelSubject, type AriEvent } from '../asterisk/ari-events';

export interface SequencedEvent {
  seq: number;
  event: AriEvent;
}

/** Where activities read a channel's ARI events; a fake in unit tests, JetStream everywhere else. */
export interface ChannelEventSource {
  /** Several channels (a call and the leg it dialed) read as one sequence of events. */
  open(node: string, channelId: string | readonly string[], fromSeq: number): Promise<ChannelEventCursor>;
  /** The stream's next sequence: where a reader of events yet to come starts. */
  position(): Promise<number>;
}

export interface ChannelEventCursor {
  /** The next event of the channel, or undefined when `timeoutMs` passes first. */
  next(timeoutMs: number): Promise<SequencedEvent | undefined>;
  close(): Promise<void>;
}

/**
 * Reads one channel's events from the ARI stream starting at a stream sequence. Because the position is
 * part of the activity's input, a retried activity (after a worker crash) reads the same events again:
 * no digit pressed during the crash is lost.
 *
 * Each cursor is an ephemeral consumer that is deleted when the cursor closes. Leaving consumers for the
 * server to expire is costly: JetStream matches every new message against every consumer's filter, so
 * hundreds of idle consumers slowed every later event (measured: 2 s of routing delay at 20 calls/s).
 */
export class JetStreamChannelEvents implements ChannelEventSource {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  async open(
    node: string,
    channelId: string | readonly string[],
    fromSeq: number,
  ): Promise<ChannelEventCursor> {
    // nats-server 2.9 has one filter per consumer: one consumer per channel, merged into one buffer.
    const ids = typeof channelId === 'string' ? [channelId] : channelId;
    const opened = await Promise.all(ids.map((id) => this.consume(node, id, fromSeq)));
    return new BufferedCursor(
      opened.map((o) => o.messages),
      () => Promise.all(opened.map((o) => o.release())).then(() => undefined),
    );
  }

  async position(): Promise<number> {
    const info = await this.jsm.streams.info(ARI_STREAM);
    return info.state.last_seq + 1;
  }

  private async consume(node: string, channelId: string, fromSeq: number) {
    const info = await this.jsm.consumers.add(ARI_STREAM, {
      filter_subject: channelSubject(node, channelId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, fromSeq),
      ack_policy: AckPolicy.None,
      // Only for a worker that dies with cursors open; a live cursor deletes its consumer on close.
      inactive_threshold: 30_000_000_000,
      mem_storage: true,
      num_replicas: 1,
    });
    const consumer = await this.js.consumers.get(ARI_STREAM, info.name);
    // A consumer lost with a NATS restart must end the read with an error, not be retried silently
    // forever: the activity then fails and Temporal retries it from the same sequence.
    const messages = await consumer.consume({ max_messages: 64, abort_on_missing_resource: true });
    const release = () => this.jsm.consumers.delete(ARI_STREAM, info.name).then(() => undefined);
    return { messages, release };
  }
}
/** Thrown by a cursor whose consumer stopped delivering: the activity fails and is retried from its input. */
export class ChannelEventsLostError extends Error {
  constructor(readonly reason: string) {
    super(`reading the channel's events stopped: ${reason}`);
    this.name = 'ChannelEventsLostError';
  }
}

class BufferedCursor implements ChannelEventCursor {
  private readonly buffer: SequencedEvent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private closed = false;
  private failure: Error | undefined;

  constructor(
    private readonly messages: readonly ConsumerMessages[],
    private readonly release: () => Promise<void>,
  ) {
    for (const m of messages) void this.pump(m);
  }

  async next(timeoutMs: number): Promise<SequencedEvent | undefined> {
    if (!this.buffer.length && !this.ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, timeoutMs));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const next = this.buffer.shift();
    if (!next && this.ended && !this.closed) {
      throw new ChannelEventsLostError(this.failure?.message ?? 'the consumer ended');
    }
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ended = true;
    await Promise.all(this.messages.map((m) => m.close()));
    await this.release().catch(() => undefined);
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        this.buffer.push({ seq: m.seq, event: m.json<AriEvent>() });
        this.waiter?.();
      }
    } catch (err) {
      this.failure = err as Error;
    } finally {
      // One channel's consumer lost is the whole read lost: a merged view with a gap would mislead.
      this.ended = true;
      this.waiter?.();
    }
  }
}
