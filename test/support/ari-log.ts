import { connect, DeliverPolicy } from 'nats';
import { ARI_STREAM, type AriEvent } from '../../asterisk/ari-events';
import type { TestStack } from './stack';

/**
 * Asterisk's own record of the channels created since `since`, read back from the ARI event stream in
 * JetStream: what fault tests count dials with (a retry that dials again shows up here, whatever the
 * workflows believe).
 */
export async function channelsCreatedSince(stack: TestStack, since: Date): Promise<AriEvent['channel'][]> {
  return (await channelsCreatedOn(stack, since, stack.config.ASTERISK_NODE)).map((c) => c.channel);
}

/** The same on every node (or one), each channel with the Asterisk node that created it. */
export async function channelsCreatedOn(
  stack: TestStack,
  since: Date,
  node = '*',
): Promise<{ node: string; channel: AriEvent['channel'] }[]> {
  const nc = await connect({ servers: stack.config.NATS_URL });
  try {
    const consumer = await nc.jetstream().consumers.get(ARI_STREAM, {
      filterSubjects: `ari.${node}.*.ChannelCreated`,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
    });
    const channels: { node: string; channel: AriEvent['channel'] }[] = [];
    for (;;) {
      const m = await consumer.next({ expires: 1500 });
      if (!m) return channels;
      channels.push({ node: m.subject.split('.')[1]!, channel: m.json<AriEvent>().channel });
    }
  } finally {
    await nc.close();
  }
}
