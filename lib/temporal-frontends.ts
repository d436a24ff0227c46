/**
 * Which Temporal frontend a process talks to (issue #15): its own site's, the first address, while that
 * answers; another cluster's while it does not. A `NamespaceNotActive` is no reason to move: the local
 * frontend forwards to the active cluster (`dcRedirectionPolicy: all-apis-forwarding`). Only a frontend that
 * stops answering is, as when its cluster is killed. Once the local frontend answers again for a while, the
 * process goes back to it.
 */
import {
  Connection,
  InternalConnectionLikeSymbol,
  type ConnectionLike,
  type InternalConnectionLike,
  type Metadata,
} from '@temporalio/client';
import type { Logger } from './logger';

export const FRONTEND_WATCH = {
  /** Between two probes. @default 1000 */
  intervalMs: 1000,
  /** A probe that takes longer counts as failed. @default 1000 */
  timeoutMs: 1000,
  /** Failed probes in a row before the current frontend is left (one lost packet is not a lost cluster). @default 2 */
  failuresToLeave: 2,
  /** Answered probes in a row of the local frontend before going back to it (a restart may flap). @default 3 */
  successesToReturn: 3,
} as const;

export type FrontendWatchSettings = { -readonly [K in keyof typeof FRONTEND_WATCH]: number };

/**
 * grpc-js waits up to 120 s between reconnects by default; a frontend that came back would go unnoticed that
 * long. Probes and calls reconnect within 2 s instead.
 */
export const FRONTEND_CHANNEL_ARGS = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 2000,
} as const;

/** `TEMPORAL_ADDRESS` first, then `TEMPORAL_FALLBACK_ADDRESSES` (comma-separated), without repeats. */
export function frontendAddresses(local: string, fallbacks: string | undefined): string[] {
  const rest = (fallbacks ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return [...new Set([local, ...rest])];
}

/** True when the frontend's gRPC health service says it is serving, within `timeoutMs`. */
export async function probeFrontend(connection: Connection, timeoutMs: number): Promise<boolean> {
  try {
    const { status } = await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection.healthService.check({}),
    );
    // 1 = SERVING (grpc.health.v1.HealthCheckResponse.ServingStatus).
    return status === 1;
  } catch {
    return false;
  }
}

export interface FrontendWatchOptions {
  /** The local frontend first. */
  addresses: readonly string[];
  /** The one in use at the start. @default the local one */
  current?: string;
  probe(address: string): Promise<boolean>;
  /** Moves the process to `address`; a throw leaves it where it was (the next round tries again). */
  use(address: string): Promise<void>;
  log: Pick<Logger, 'warn' | 'info'>;
  settings?: Partial<FrontendWatchSettings>;
}

/** Probes the frontend in use and moves the process when it is gone; see the module comment. */
export class FrontendWatch {
  private index = 0;
  private failures = 0;
  private localAnswers = 0;
  private readonly settings: FrontendWatchSettings;

  constructor(private readonly options: FrontendWatchOptions) {
    if (options.addresses.length === 0) throw new Error('FrontendWatch needs at least one address');
    this.settings = { ...FRONTEND_WATCH, ...options.settings };
    this.index = Math.max(0, options.current ? options.addresses.indexOf(options.current) : 0);
  }

  /** The frontend in use. */
  get address(): string {
    return this.options.addresses[this.index]!;
  }

  /** One round: probe, and move if the rules say so. */
  async tick(): Promise<void> {
    const { addresses, probe } = this.options;
    if (addresses.length < 2) return;
    if (this.index !== 0) {
      this.localAnswers = (await probe(addresses[0]!)) ? this.localAnswers + 1 : 0;
      if (this.localAnswers >= this.settings.successesToReturn) {
        await this.moveTo(0, 'the local frontend answers again');
        return;
      }
    }
    if (await probe(this.address)) {
      this.failures = 0;
      return;
    }
    this.failures += 1;
    if (this.failures < this.settings.failuresToLeave) return;
    // Local first, then the others in their order; none answering means staying (the current may return first).
    for (const [i, candidate] of addresses.entries()) {
      if (i === this.index || !(await probe(candidate))) continue;
      await this.moveTo(i, `${this.address} does not answer`);
      return;
    }
    this.options.log.warn({ address: this.address, addresses }, 'no Temporal frontend answers; staying');
  }

  /** Probes every `intervalMs` until `signal` aborts. */
  start(signal: AbortSignal): void {
    if (this.options.addresses.length < 2) return;
    const round = () => {
      if (signal.aborted) return;
      this.tick()
        .catch((err: unknown) => this.options.log.warn({ err }, 'frontend watch round failed'))
        .finally(() => {
          if (!signal.aborted) setTimeout(round, this.settings.intervalMs).unref();
        });
    };
    setTimeout(round, this.settings.intervalMs).unref();
  }

  private async moveTo(index: number, reason: string): Promise<void> {
    const from = this.address;
    const to = this.options.addresses[index]!;
    try {
      await this.options.use(to);
    } catch (err) {
      this.options.log.warn({ from, to, err: (err as Error).message }, 'could not move to another frontend');
      return;
    }
    this.index = index;
    this.failures = 0;
    this.localAnswers = 0;
    this.options.log.warn({ from, to, reason }, 'Temporal frontend changed');
  }
}

/**
 * A connection for `Client` whose frontend can change under it: every call goes to the connection last
 * given to `use`. Clients read `connection.workflowService` at each call, so one Client follows the moves.
 */
export class SwitchableConnection implements InternalConnectionLike {
  constructor(private current: ConnectionLike) {}

  use(next: ConnectionLike): void {
    this.current = next;
  }

  /** The connection calls go to now. */
  get target(): ConnectionLike {
    return this.current;
  }

  get workflowService(): ConnectionLike['workflowService'] {
    return this.current.workflowService;
  }
  get operatorService(): ConnectionLike['operatorService'] {
    return this.current.operatorService;
  }
  get plugins(): ConnectionLike['plugins'] {
    return this.current.plugins;
  }
  /** Eager workflow start needs to know the connection underneath is the worker's NativeConnection. */
  get [InternalConnectionLikeSymbol](): InternalConnectionLike[typeof InternalConnectionLikeSymbol] {
    return (this.current as InternalConnectionLike)[InternalConnectionLikeSymbol];
  }
  close(): Promise<void> {
    return this.current.close();
  }
  ensureConnected(): Promise<void> {
    return this.current.ensureConnected();
  }
  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    return this.current.withDeadline(deadline, fn);
  }
  withMetadata<R>(metadata: Metadata, fn: () => Promise<R>): Promise<R> {
    return this.current.withMetadata(metadata, fn);
  }
  withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    return this.current.withAbortSignal(abortSignal, fn);
  }
}

/**
 * A lazy grpc-js connection to each address, reconnecting fast. `for: 'probes'` leaves out the SDK's retry
 * interceptor: a refused connection must fail the probe at once, not be retried until the deadline (which
 * made noticing a killed frontend take 4.4 s instead of 1–2 s).
 */
export function lazyFrontends(
  addresses: readonly string[],
  use: { for: 'calls' | 'probes' },
): Map<string, Connection> {
  const retries = use.for === 'probes' ? { interceptors: [] } : {};
  return new Map(
    addresses.map((address) => [
      address,
      Connection.lazy({ address, channelArgs: FRONTEND_CHANNEL_ARGS, ...retries }),
    ]),
  );
}

/**
 * Starts following `addresses` (the local one first): probes each over a connection of its own and calls
 * `use` to move. `stop` ends the probing and closes those connections. With one address it does nothing.
 */
export function watchFrontends(
  addresses: readonly string[],
  options: Pick<FrontendWatchOptions, 'current' | 'use' | 'log'>,
): { stop(): Promise<void> } {
  const probes = lazyFrontends(addresses.length > 1 ? addresses : [], { for: 'probes' });
  const watching = new AbortController();
  new FrontendWatch({
    addresses,
    ...options,
    probe: (address) => probeFrontend(probes.get(address)!, FRONTEND_WATCH.timeoutMs),
  }).start(watching.signal);
  return {
    async stop() {
      watching.abort();
      await Promise.all([...probes.values()].map((c) => c.close().catch(() => undefined)));
    },
  };
}
