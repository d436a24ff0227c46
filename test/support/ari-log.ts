import { connect, DeliverPolicy } from 'nats';
import { ARI_STREAM, type AriEvent } from '../../asterisk/ari-events';
import { EVENT_SUBJECT_ROOT, EVENTS_STREAM } from '../../lib/events/subjects';
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
  return (await ariEventsSince(stack, since, 'ChannelCreated', node)).map(({ node, event }) => ({
    node,
    channel: event.channel,
  }));
}

/** Every event of one type that Asterisk sent since `since` (ChannelDestroyed, ChannelStateChange, …). */
export async function ariEventsSince(
  stack: TestStack,
  since: Date,
  type: string,
  node = '*',
): Promise<{ node: string; event: AriEvent }[]> {
  const nc = await connect({ servers: stack.config.NATS_URL });
  try {
    const consumer = await nc.jetstream().consumers.get(ARI_STREAM, {
      filterSubjects: `ari.${node}.*.${type}`,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
    });
    const events: { node: string; event: AriEvent }[] = [];
    for (;;) {
      const m = await consumer.next({ expires: 1500 });
      if (!m) return events;
      events.push({ node: m.subject.split('.')[1]!, event: m.json<AriEvent>() });
    }
  } finally {
    await nc.close();
  }
}

/**
 * The domain events stored in the EVENTS stream since `since` for one call (`data.callId`), in stream order:
 * what webhooks and the SSE endpoint deliver, each event once (a duplicate id would show twice here only if
 * JetStream had stored it twice).
 */
export async function callEventsSince(
  stack: TestStack,
  since: Date,
  callId: string,
): Promise<{ id: string; type: string }[]> {
  const nc = await connect({ servers: stack.config.NATS_URL });
  try {
    const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, {
      filterSubjects: `${EVENT_SUBJECT_ROOT}.*.events.call.*`,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
    });
    const events: { id: string; type: string }[] = [];
    for (;;) {
      const m = await consumer.next({ expires: 1500 });
      if (!m) return events;
      const event = m.json<{ id: string; type: string; data: { callId?: string } }>();
      if (event.data.callId === callId) events.push({ id: event.id, type: event.type });
    }
  } finally {
    await nc.close();
  }
}
