/**
 * Supervisor monitoring of a live agent conversation through ARI: the supervisor's endpoint is dialed into
 * our Stasis app and joined to the call in one of three ways.
 * - listen: a snoop on the agent's leg spying both directions, bridged with the supervisor;
 * - whisper: the same snoop also whispering `out`, i.e. into the frames Asterisk writes to the agent's leg,
 *   which only the agent receives (`in` would go into the call's bridge, to the caller);
 * - barge: the supervisor joins the call's own bridge and everybody hears everybody.
 */
import { DIALED_LEG_ARG } from '../workflows/call/contract';
import type { AriCommands } from './ari-commands';
import { AriCommandError, ChannelGoneError } from './ari-errors';

export const MonitorMode = {
  Listen: 'listen',
  Whisper: 'whisper',
  Barge: 'barge',
} as const;
export type MonitorMode = (typeof MonitorMode)[keyof typeof MonitorMode];
export const MONITOR_MODES = Object.values(MonitorMode) as [MonitorMode, ...MonitorMode[]];

/** The snoop each mode asks for; barge needs none. */
const SNOOP = {
  [MonitorMode.Listen]: { spy: 'both', whisper: 'none' },
  [MonitorMode.Whisper]: { spy: 'both', whisper: 'out' },
  [MonitorMode.Barge]: undefined,
} as const;

/**
 * The ARI resources of one session. They are named after the call and the session, so stopping a session
 * needs nothing remembered: a gateway restarted since the start can still stop it.
 */
export interface MonitorResources {
  supervisorId: string;
  snoopId: string;
  bridgeId: string;
}

export const monitorResources = (callId: string, sessionId: string): MonitorResources => ({
  supervisorId: `${callId}-mon-${sessionId}`,
  snoopId: `${callId}-mon-${sessionId}-snoop`,
  bridgeId: `${callId}-mon-${sessionId}-bridge`,
});

export const MonitorFailure = {
  /** The supervisor's endpoint was busy, declined, did not answer or hung up while being connected. */
  NoAnswer: 'no_answer',
  /** The agent's conversation ended before the supervisor could join it. */
  CallEnded: 'call_ended',
  /**
   * Asterisk could not dial the endpoint at all (unknown technology or endpoint). A Local channel to a
   * missing extension is made and fails only later, so it comes out as NoAnswer.
   */
  BadEndpoint: 'bad_endpoint',
} as const;
export type MonitorFailure = (typeof MonitorFailure)[keyof typeof MonitorFailure];

/** Why a session could not start; its resources are already released when this is thrown. */
export class MonitorError extends Error {
  constructor(
    readonly reason: MonitorFailure,
    message: string,
  ) {
    super(message);
    this.name = 'MonitorError';
  }
}

export interface StartMonitorParams {
  /** Our Stasis app: the supervisor's channel and the snoop must be in it to be bridged. */
  app: string;
  mode: MonitorMode;
  /** The supervisor's dial string, e.g. `PJSIP/sup1`. */
  endpoint: string;
  callerId?: string;
  /** The agent's channel of the conversation, and the bridge it shares with the caller. */
  agentLegId: string;
  callBridgeId: string;
  resources: MonitorResources;
  ringSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rings the supervisor and, once they answer, connects them to the conversation as the mode says. Resolves
 * when audio flows; on any failure releases what it made and throws MonitorError (or ARI's own error when
 * Asterisk itself is the problem).
 */
export async function startMonitor(ari: AriCommands, p: StartMonitorParams): Promise<void> {
  const { supervisorId, snoopId, bridgeId } = p.resources;
  try {
    try {
      await ari.originate({
        endpoint: p.endpoint,
        app: p.app,
        // Not a new call: the router must leave this channel (and the snoop) alone.
        appArgs: DIALED_LEG_ARG,
        channelId: supervisorId,
        callerId: p.callerId,
        timeout: p.ringSeconds,
        formats: 'ulaw',
      });
    } catch (err) {
      if (err instanceof AriCommandError && err.status !== undefined) {
        // ARI says only "Allocation failed", whatever the reason.
        throw new MonitorError(
          MonitorFailure.BadEndpoint,
          `Asterisk cannot dial ${p.endpoint}: no such endpoint or technology`,
        );
      }
      throw err;
    }
    await waitForAnswer(ari, supervisorId, p.endpoint, (p.ringSeconds + 2) * 1000);
    const snoop = SNOOP[p.mode];
    if (snoop) {
      await ari
        .snoop(p.agentLegId, { snoopId, ...snoop, app: p.app, appArgs: DIALED_LEG_ARG })
        .catch(callEndedIfGone);
      await ari.createBridge(bridgeId);
      await join(ari, bridgeId, [snoopId, supervisorId], p);
    } else {
      await join(ari, p.callBridgeId, [supervisorId], p);
    }
  } catch (err) {
    await stopMonitor(ari, p.resources).catch(() => undefined);
    throw err;
  }
}

/**
 * Ends a session: hangs up the supervisor and the snoop, removes the monitoring bridge. Answers whether
 * the session was still live; one already over (or never started) is not an error.
 */
export async function stopMonitor(ari: AriCommands, resources: MonitorResources): Promise<boolean> {
  const live = await Promise.all(
    [resources.supervisorId, resources.snoopId].map((id) =>
      ari.getChannel(id).then(
        () => true,
        (err: unknown) => {
          if (err instanceof ChannelGoneError) return false;
          throw err;
        },
      ),
    ),
  );
  await Promise.all([ari.hangup(resources.supervisorId), ari.hangup(resources.snoopId)]);
  await ari.destroyBridge(resources.bridgeId);
  return live.some(Boolean);
}

/** An originated channel is answered when it is Up; Up comes just before StasisStart (see join). */
async function waitForAnswer(
  ari: AriCommands,
  channelId: string,
  endpoint: string,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const state = await ari.getChannel(channelId).then(
      (c) => c.state,
      (err: unknown) => {
        if (err instanceof ChannelGoneError) return 'Gone';
        throw err;
      },
    );
    if (state === 'Up') return;
    if (state === 'Gone' || Date.now() > until) {
      throw new MonitorError(MonitorFailure.NoAnswer, `${endpoint} did not answer`);
    }
    await sleep(200);
  }
}

/**
 * Adds channels to a bridge. A channel that has just answered or been made may not have entered Stasis yet
 * (ARI answers "not in Stasis"), so that is retried for a moment. A missing channel or bridge is whoever
 * went away: the supervisor (no answer) or the conversation (call ended).
 */
async function join(
  ari: AriCommands,
  bridgeId: string,
  channelIds: string[],
  p: StartMonitorParams,
): Promise<void> {
  const until = Date.now() + 3000;
  for (;;) {
    try {
      await ari.addToBridge(bridgeId, channelIds);
      return;
    } catch (err) {
      if (!(err instanceof AriCommandError)) throw err;
      if (err.status === 409 && Date.now() < until) {
        await sleep(100);
        continue;
      }
      if (err.status !== 404 && err.status !== 409) throw err;
      const supervisorThere = await ari.getChannel(p.resources.supervisorId).then(
        () => true,
        () => false,
      );
      if (!supervisorThere) throw new MonitorError(MonitorFailure.NoAnswer, `${p.endpoint} hung up`);
      throw new MonitorError(MonitorFailure.CallEnded, 'the conversation ended');
    }
  }
}

function callEndedIfGone(err: unknown): never {
  if (err instanceof ChannelGoneError) {
    throw new MonitorError(MonitorFailure.CallEnded, 'the conversation ended');
  }
  throw err;
}
