import { randomUUID } from 'node:crypto';
import type { AriCommands } from '../../asterisk/ari-commands';
import { callWorkflowId } from '../../workflows/call/contract';

export interface CallerScript {
  /** Number dialed into the `inbound` context. @default '5551000' */
  to?: string;
  from?: string;
  /** DTMF the caller sends (SendDTMF syntax); none when empty. */
  digits?: string;
  /** Seconds after answer before the digits. @default 1 */
  delaySec?: number;
  /** An Asterisk sound the caller says after the digits (into a voicemail, to an agent). */
  play?: string;
  /** A tone the caller sends all along (Playtones syntax, e.g. '440'): tells its audio apart in recordings. */
  tone?: string;
  /** Seconds the caller stays on after the digits before hanging up. @default 10 */
  holdSec?: number;
}

export interface PlacedCall {
  id: string;
  callerChannelId: string;
  inboundChannelId: string;
  workflowId: string;
  /** What the caller heard, recorded by MixMonitor inside the Asterisk chroot (Asterisk's path). */
  recording: string;
  /** Only what the caller heard (Asterisk's path). */
  heard: string;
}

/**
 * A real inbound call: a Local channel whose inbound half enters CTICloud's Stasis app through the
 * `inbound` dialplan and whose caller half runs the `synthetic-caller` script.
 */
export async function placeCall(ari: AriCommands, app: string, node: string, script: CallerScript = {}) {
  const id = `t${randomUUID().slice(0, 8)}`;
  const call: PlacedCall = {
    id,
    callerChannelId: `${id}-caller`,
    inboundChannelId: `${id}-in`,
    workflowId: callWorkflowId(node, `${id}-in`),
    recording: `/var/spool/asterisk/recording/caller-${id}.wav`,
    heard: `/var/spool/asterisk/recording/caller-${id}-heard.wav`,
  };
  await ari.originate({
    endpoint: `Local/${script.to ?? '5551000'}@inbound/n`,
    context: 'synthetic-caller',
    extension: 'script',
    priority: 1,
    callerId: script.from ?? '5550100',
    formats: 'ulaw',
    channelId: call.callerChannelId,
    otherChannelId: call.inboundChannelId,
    variables: {
      CTI_APP: app,
      CALLER_ID: id,
      CALLER_DIGITS: script.digits ?? '',
      CALLER_DELAY: String(script.delaySec ?? 1),
      CALLER_HOLD: String(script.holdSec ?? 10),
      CALLER_PLAY: script.play ?? '',
      CALLER_TONE: script.tone ?? '',
    },
  });
  return call;
}
