import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from './logger';
import { SwitchableConnection, frontendAddresses, watchFrontends } from './temporal-frontends';

/**
 * Connects to the first of `addresses` that answers, local first, waiting for one to come up (it may be
 * restarting) instead of crashing.
 */
export async function connectTemporal(
  addresses: readonly string[],
  log: Logger,
): Promise<{ connection: NativeConnection; address: string }> {
  let delay = 250;
  for (;;) {
    for (const address of addresses) {
      try {
        return { connection: await NativeConnection.connect({ address }), address };
      } catch (err) {
        log.warn({ address, err: (err as Error).message }, 'Temporal unavailable');
      }
    }
    log.warn({ addresses, retryInMs: delay }, 'no Temporal frontend answers; retrying');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}

/**
 * The worker's Temporal connection, following its site's frontend (lib/temporal-frontends.ts): the workers
 * given to `adopt` and every Client built on `clientConnection` move together when that frontend is gone,
 * without a restart (the SDK replaces a running worker's connection), and come back when it returns.
 */
export class WorkerFrontends {
  readonly clientConnection: SwitchableConnection;
  private readonly workers = new Set<Worker>();
  private readonly watch: { stop(): Promise<void> };

  private constructor(
    private current: NativeConnection,
    addresses: readonly string[],
    address: string,
    private readonly log: Logger,
  ) {
    this.clientConnection = new SwitchableConnection(current);
    this.watch = watchFrontends(addresses, {
      // Started away from home, the watch's rules bring it back once the local frontend answers.
      current: address,
      use: (to) => this.moveTo(to),
      log,
    });
  }

  /** Connected to `TEMPORAL_ADDRESS`, or to a fallback while that does not answer. */
  static async connect(
    config: { TEMPORAL_ADDRESS: string; TEMPORAL_FALLBACK_ADDRESSES?: string | undefined },
    log: Logger,
  ): Promise<WorkerFrontends> {
    const addresses = frontendAddresses(config.TEMPORAL_ADDRESS, config.TEMPORAL_FALLBACK_ADDRESSES);
    const { connection, address } = await connectTemporal(addresses, log);
    if (address !== addresses[0]) log.warn({ address }, 'started on a fallback Temporal frontend');
    return new WorkerFrontends(connection, addresses, address, log);
  }

  /** The connection new workers are created with. */
  get connection(): NativeConnection {
    return this.current;
  }

  /** Moves `worker` with the others from now on (and at once, if a move happened while it was created). */
  adopt(worker: Worker): Worker {
    this.workers.add(worker);
    if (worker.connection !== this.current) worker.connection = this.current;
    return worker;
  }

  async close(): Promise<void> {
    await this.watch.stop();
    await this.current.close();
  }

  private async moveTo(address: string): Promise<void> {
    const next = await NativeConnection.connect({ address });
    const previous = this.current;
    this.current = next;
    for (const worker of this.workers) {
      // A worker that served its namespace until a fail-back is done with; a new one took its place.
      if (worker.getState() === 'STOPPED' || worker.getState() === 'FAILED') this.workers.delete(worker);
      else worker.connection = next;
    }
    this.clientConnection.use(next);
    // Nothing holds it any more; a close that fails (a dead server) is of no consequence.
    await previous.close().catch((err: unknown) => this.log.debug({ err }, 'previous connection close'));
  }
}
