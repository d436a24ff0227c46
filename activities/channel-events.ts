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

/**
 * A cursor's events waiting to be read, in order, and whether more can come: what every cursor shares,
 * whoever fills it. `next` waits up to its timeout; after `end` with nothing left it throws, unless the
 * cursor was closed.
 */
export class CursorQueue {
  private readonly items: SequencedEvent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private closed = false;
  private failure: string | undefined;

  push(...items: SequencedEvent[]): void {
    this.items.push(...items);
    this.waiter?.();
  }

  /** No more events will come; `reason` says why when it was not a close. */
  end(reason?: string): void {
    this.failure ??= reason;
    this.ended = true;
    this.waiter?.();
  }

  close(): void {
    this.closed = true;
    this.end();
  }

  async next(timeoutMs: number): Promise<SequencedEvent | undefined> {
    if (!this.items.length && !this.ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, timeoutMs));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const next = this.items.shift();
    if (!next && this.ended && !this.closed) {
      throw new ChannelEventsLostError(this.failure ?? 'the consumer ended');
    }
    return next;
  }
}

class BufferedCursor implements ChannelEventCursor {
  private readonly queue = new CursorQueue();

  constructor(
    private readonly messages: readonly ConsumerMessages[],
    private readonly release: () => Promise<void>,
  ) {
    for (const m of messages) void this.pump(m);
  }

  next(timeoutMs: number): Promise<SequencedEvent | undefined> {
    return this.queue.next(timeoutMs);
  }

  async close(): Promise<void> {
    this.queue.close();
    await Promise.all(this.messages.map((m) => m.close()));
    await this.release().catch(() => undefined);
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    let failure: string | undefined;
    try {
      for await (const m of messages) this.queue.push({ seq: m.seq, event: m.json<AriEvent>() });
    } catch (err) {
      failure = (err as Error).message;
    } finally {
      // One channel's consumer lost is the whole read lost: a merged view with a gap would mislead.
      this.queue.end(failure);
    }
  }
}
