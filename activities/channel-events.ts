import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from 'nats';
import { ARI_STREAM, channelSubject, type AriEvent } from '../asterisk/ari-events';

export interface SequencedEvent {
  seq: number;
  event: AriEvent;
}

/** Where activities read a channel's ARI events; a fake in unit tests, JetStream everywhere else. */
export interface ChannelEventSource {
  open(node: string, channelId: string, fromSeq: number): Promise<ChannelEventCursor>;
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
 */
export class JetStreamChannelEvents implements ChannelEventSource {
  constructor(private readonly js: JetStreamClient) {}

  async open(node: string, channelId: string, fromSeq: number): Promise<ChannelEventCursor> {
    const consumer = await this.js.consumers.get(ARI_STREAM, {
      filterSubjects: channelSubject(node, channelId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, fromSeq),
    });
    return new BufferedCursor(await consumer.consume({ max_messages: 64 }));
  }
}

class BufferedCursor implements ChannelEventCursor {
  private readonly buffer: SequencedEvent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  constructor(private readonly messages: ConsumerMessages) {
    void this.pump();
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
    return this.buffer.shift();
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.messages.close();
  }

  private async pump(): Promise<void> {
    try {
      for await (const m of this.messages) {
        this.buffer.push({ seq: m.seq, event: m.json<AriEvent>() });
        this.waiter?.();
      }
    } finally {
      this.ended = true;
      this.waiter?.();
    }
  }
}
