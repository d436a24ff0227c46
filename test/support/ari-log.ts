import { connect, DeliverPolicy, type JsMsg } from 'nats';
import { ARI_STREAM, type AriEvent } from '../../asterisk/ari-events';
import { EVENT_SUBJECT_ROOT, EVENTS_STREAM } from '../../lib/events/subjects';
import type { TestStack } from './stack';

/** What reading the stream takes: the stack's NATS and its Asterisk node. */
type Streams = Pick<TestStack, 'config'>;

/**
 * Asterisk's own record of the channels created since `since`, read back from the ARI event stream in
 * JetStream: what fault tests count dials with (a retry that dials again shows up here, whatever the
 * workflows believe).
 */
export async function channelsCreatedSince(stack: Streams, since: Date): Promise<AriEvent['channel'][]> {
  return (await channelsCreatedOn(stack, since, stack.config.ASTERISK_NODE)).map((c) => c.channel);
}

/** The same on every node (or one), each channel with the Asterisk node that created it. */
export async function channelsCreatedOn(
  stack: Streams,
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
  stack: Streams,
  since: Date,
  type: string,
  node = '*',
): Promise<{ node: string; event: AriEvent }[]> {
  const messages = await storedSince(stack, ARI_STREAM, `ari.${node}.*.${type}`, since);
  return messages.map((m) => ({ node: m.subject.split('.')[1]!, event: m.json<AriEvent>() }));
}

/** Every message a stream stored on `subject` since `since`, read with a consumer of the test's own. */
async function storedSince(stack: Streams, stream: string, subject: string, since: Date): Promise<JsMsg[]> {
  const nc = await connect({ servers: stack.config.NATS_URL });
  try {
    const consumer = await nc.jetstream().consumers.get(stream, {
      filterSubjects: subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
    });
    const messages: JsMsg[] = [];
    for (;;) {
      const m = await consumer.next({ expires: 1500 });
      if (!m) return messages;
      messages.push(m);
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
  stack: Streams,
  since: Date,
  callId: string,
): Promise<{ id: string; type: string }[]> {
  const messages = await storedSince(stack, EVENTS_STREAM, `${EVENT_SUBJECT_ROOT}.*.events.call.*`, since);
  return messages
    .map((m) => m.json<{ id: string; type: string; data: { callId?: string } }>())
    .filter((event) => event.data.callId === callId)
    .map(({ id, type }) => ({ id, type }));
}
