import { NativeConnection } from '@temporalio/worker';
import type { Logger } from './logger';

/** Connects to Temporal, waiting for it to come up (it may be restarting) instead of crashing. */
export async function connectTemporal(address: string, log: Logger): Promise<NativeConnection> {
  let delay = 250;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      log.warn({ address, err: (err as Error).message, retryInMs: delay }, 'Temporal unavailable; retrying');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
