import { createHash } from 'node:crypto';

/** The fields of ARI events that CTICloud reads; ARI sends more, and the bridge keeps all of it. */
export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  connected?: { name: string; number: string };
  dialplan?: { context: string; exten: string; priority: number };
  creationtime?: string;
}

export interface AriEvent {
  type: string;
  timestamp: string;
  application?: string;
  asterisk_id?: string;
  channel?: AriChannel;
  args?: string[];
  digit?: string;
  duration_ms?: number;
  cause?: number;
  cause_txt?: string;
  playback?: { id: string; target_uri: string; state: string; media_uri: string };
  recording?: { name: string; target_uri: string; state: string };
  bridge?: { id: string };
  eventname?: string;
  userevent?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * Subject scheme of the ARI event log: `ari.<node>.<resource>.<EventType>`.
 * - `node` names the Asterisk (ASTERISK_NODE), so several Asterisks share one stream.
 * - `resource` is the channel id, also for playback and recording events (their target channel), so one
 *   filter `ari.<node>.<channel>.>` yields everything that happens to a call; bridge events use
 *   `bridge-<id>`, others `_`. NATS separates tokens with dots, and channel ids contain dots
 *   ("1732540000.42"), so dots (and NATS wildcards) in ids become `_`.
 */
export const ARI_STREAM = 'ARI';
export const ARI_SUBJECT_ROOT = 'ari';

export const subjectToken = (id: string): string => id.replace(/[.*>\s]/g, '_');

export function eventResource(event: AriEvent): string {
  if (event.channel) return event.channel.id;
  const target = event.playback?.target_uri ?? event.recording?.target_uri;
  if (target?.startsWith('channel:')) return target.slice('channel:'.length);
  if (target?.startsWith('bridge:')) return `bridge-${target.slice('bridge:'.length)}`;
  if (event.bridge) return `bridge-${event.bridge.id}`;
  return '_';
}

export const eventSubject = (node: string, event: AriEvent): string =>
  `${ARI_SUBJECT_ROOT}.${node}.${subjectToken(eventResource(event))}.${event.type}`;

export const channelSubject = (node: string, channelId: string, type = '>'): string =>
  `${ARI_SUBJECT_ROOT}.${node}.${subjectToken(channelId)}.${type}`;

export const typeSubject = (type: string): string => `${ARI_SUBJECT_ROOT}.*.*.${type}`;

/**
 * The same ARI event seen by two bridges (the owner of the Stasis app and a mirror subscribed to all) must
 * be stored once: JetStream drops a second message with the same id within its duplicate window. Only the
 * `application` field differs between the two copies.
 */
export function eventDedupId(event: AriEvent): string {
  const { application, ...rest } = event;
  return createHash('sha1').update(JSON.stringify(rest)).digest('base64url');
}
