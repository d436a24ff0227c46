import {
  connect,
  DiscardPolicy,
  headers,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type NatsConnection,
} from 'nats';
import type { Logger } from '../lib/logger';
import { ARI_STREAM, ARI_SUBJECT_ROOT, eventDedupId, eventSubject, type AriEvent } from './ari-events';

const nanos = (ms: number): number => ms * 1_000_000;

export interface EventLogOptions {
  /** How long ARI events are kept, in ms: long enough to replay any live call. @default 86_400_000 */
  maxAgeMs?: number;
  /** Window in which a second copy of one event is dropped, in ms. @default 120_000 */
  duplicateWindowMs?: number;
}

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
}

/** Creates the ARI stream, or brings an existing one to these settings. */
export async function ensureAriStream(nc: NatsConnection, options: EventLogOptions = {}): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const config = {
    name: ARI_STREAM,
    subjects: [`${ARI_SUBJECT_ROOT}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs ?? 86_400_000),
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
  };
  try {
    await jsm.streams.info(ARI_STREAM);
    await jsm.streams.update(ARI_STREAM, config);
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
    await jsm.streams.add(config);
  }
}

/**
 * Publishes ARI events in arrival order, many in flight at once (one acknowledged publish at a time
 * cannot keep up with a busy Asterisk). When a publish fails, everything from the first failure on is
 * published again, in order, until JetStream has stored it: a NATS outage delays events, it does not
 * drop them. Copies that had already been stored are dropped by JetStream's duplicate window.
 */
export class OrderedEventPublisher {
  private readonly queue: AriEvent[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;
  published = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly node: string,
    private readonly log: Logger,
    /** Most publishes awaiting their acknowledgement at once. @default 256 */
    private readonly window = 256,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  enqueue(event: AriEvent): void {
    this.queue.push(event);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Waits until everything queued so far is stored. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  close(): void {
    this.closed = true;
  }

  private publish(event: AriEvent): Promise<unknown> {
    const h = headers();
    h.set('Ari-Event-Type', event.type);
    return this.js.publish(eventSubject(this.node, event), JSON.stringify(event), {
      msgID: eventDedupId(event),
      headers: h,
    });
  }

  private async drain(): Promise<void> {
    let delay = 50;
    while (this.queue.length && !this.closed) {
      const batch = this.queue.slice(0, this.window);
      const results = await Promise.allSettled(batch.map((event) => this.publish(event)));
      const failed = results.findIndex((r) => r.status === 'rejected');
      const stored = failed === -1 ? batch.length : failed;
      this.queue.splice(0, stored);
      this.published += stored;
      if (failed === -1) {
        delay = 50;
        continue;
      }
      const err = (results[failed] as PromiseRejectedResult).reason as Error;
      this.log.warn(
        { err: err.message, pending: this.queue.length },
        'publishing ARI events failed; retrying',
      );
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}
