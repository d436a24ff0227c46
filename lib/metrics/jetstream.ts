import type { NatsConnection } from 'nats';
import type { ConsumerLag } from './business';

/**
 * JetStream's durable consumers and their lag, as the server reports them. Durable ones only: the ephemeral
 * cursors that calls open come and go by the thousand and would make a series each.
 */
export async function durableConsumerLags(nc: NatsConnection): Promise<ConsumerLag[]> {
  const jsm = await nc.jetstreamManager();
  const lags: ConsumerLag[] = [];
  for await (const stream of jsm.streams.list()) {
    for await (const c of jsm.consumers.list(stream.config.name)) {
      if (!c.config.durable_name) continue;
      lags.push({
        stream: stream.config.name,
        consumer: c.name,
        pending: c.num_pending,
        ackPending: c.num_ack_pending,
      });
    }
  }
  return lags;
}
