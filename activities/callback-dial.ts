import type { AriCommands } from '../asterisk/ari-commands';
import type { AriEvent } from '../asterisk/ari-events';
import { DIALED_LEG_ARG } from '../workflows/call-contract';
import { isEnd, nextEvent } from './ari';
import type { ChannelEventSource } from './channel-events';
import { unanswered } from './dial-bridge';

export interface AgentFirstParams {
  /** Stream position before the attempt: a retry re-reads the attempt's events from here. */
  fromSeq: number;
  agent: { endpoint: string; legId: string; ringSeconds: number };
  customer: { number: string; legId: string; ringSeconds: number; callerId?: string; amd?: boolean };
  bridgeId: string;
  recordAs?: string;
}

export interface AgentFirstResult {
  agent: 'answered' | 'no_answer' | 'failed';
  customer?: 'answered' | 'busy' | 'no_answer' | 'failed' | 'machine';
  talkSeconds: number;
}

export interface AgentFirstDeps {
  ari: AriCommands;
  events: ChannelEventSource;
  app: string;
  outboundDial: string;
  /** The Asterisk the legs are dialed on (ASTERISK_NODE). */
  node: string;
}

/**
 * A callback attempt, agent first: ring the agent the routing workflow reserved, and once they answer,
 * dial the customer while the agent hears ringback; bridge and record when the customer answers. A retry
 * (the worker died mid-attempt) carries on with a conversation still up; otherwise it clears what is left
 * and reports the attempt failed, so the customer is never dialed twice at once.
 */
export async function dialAgentThenCustomer(
  { ari, events, app, outboundDial, node }: AgentFirstDeps,
  p: AgentFirstParams,
  resume: boolean,
): Promise<AgentFirstResult> {
  const local = outboundDial.startsWith('Local/');
  const farHalf = local ? `${p.customer.legId};2` : undefined;
  const cursor = await events.open(
    node,
    [p.agent.legId, p.customer.legId, ...(farHalf ? [farHalf] : [])],
    p.fromSeq,
  );
  let connectedAt = 0;
  const talk = () => (connectedAt ? Math.round((Date.now() - connectedAt) / 1000) : 0);
  const read = async (until: number): Promise<AriEvent | undefined> =>
    (await nextEvent(cursor, until))?.event;
  const hangUpBoth = async () => {
    await ari.hangup(p.agent.legId);
    await ari.hangup(p.customer.legId);
  };
  try {
    if (resume) {
      const up = async (id: string) =>
        ari.getChannel(id).then(
          (c) => c.state === 'Up',
          () => false,
        );
      if (!((await up(p.agent.legId)) && (await up(p.customer.legId)))) {
        await hangUpBoth();
        return { agent: 'failed', talkSeconds: 0 };
      }
      connectedAt = Date.now();
    } else {
      await ari.originate({
        endpoint: p.agent.endpoint,
        app,
        appArgs: DIALED_LEG_ARG,
        channelId: p.agent.legId,
        timeout: p.agent.ringSeconds,
        formats: 'ulaw',
      });
      const agentUntil = Date.now() + (p.agent.ringSeconds + 3) * 1000;
      for (;;) {
        const event = await read(agentUntil);
        if (!event) {
          await ari.hangup(p.agent.legId);
          return { agent: 'no_answer', talkSeconds: 0 };
        }
        if (event.channel?.id !== p.agent.legId) continue;
        if (event.type === 'StasisStart') break;
        if (event.type === 'ChannelDestroyed') return { agent: 'no_answer', talkSeconds: 0 };
      }
      const ringback = `${p.agent.legId}-ringback`;
      await ari.play(p.agent.legId, ['tone:ring'], ringback).catch(() => undefined);
      const customerLeg = {
        endpoint: outboundDial.replaceAll('{number}', p.customer.number),
        channelId: p.customer.legId,
        callerId: p.customer.callerId,
        timeout: p.customer.ringSeconds,
        formats: 'ulaw',
      };
      // With AMD the answered leg first runs AMD() in the dialplan, which then hands it to Stasis with the
      // verdict as an argument (context cticloud-amd, shared with campaigns).
      await ari.originate(
        p.customer.amd
          ? {
              ...customerLeg,
              context: 'cticloud-amd',
              extension: 's',
              priority: 1,
              variables: { CTI_APP: app },
            }
          : { ...customerLeg, app, appArgs: DIALED_LEG_ARG },
      );
      const dialedAt = Date.now();
      let farState = '';
      // AMD listens for a few seconds after the answer: allow for it.
      const customerUntil = dialedAt + (p.customer.ringSeconds + (p.customer.amd ? 8 : 3)) * 1000;
      for (;;) {
        const event = await read(customerUntil);
        if (!event) {
          await ari.hangup(p.customer.legId);
          await ari.hangup(p.agent.legId);
          return { agent: 'answered', customer: 'no_answer', talkSeconds: 0 };
        }
        const id = event.channel?.id;
        if (id && id === farHalf) farState = event.channel!.state;
        if (id === p.agent.legId && isEnd(event)) {
          await ari.hangup(p.customer.legId);
          return { agent: 'answered', customer: 'failed', talkSeconds: 0 };
        }
        if (id === p.customer.legId && event.type === 'StasisStart') {
          if (p.customer.amd && event.args?.[1] === 'MACHINE') {
            await ari.hangup(p.customer.legId);
            await ari.hangup(p.agent.legId);
            return { agent: 'answered', customer: 'machine', talkSeconds: 0 };
          }
          break;
        }
        if ((id === p.customer.legId || id === farHalf) && event.type === 'ChannelDestroyed') {
          let cause = event.cause ?? 0;
          if (farHalf && id === p.customer.legId) {
            for (let late = await read(Date.now() + 1000); late; late = await read(Date.now() + 1000)) {
              if (late.channel?.id === farHalf) farState = late.channel.state;
              if (late.type === 'ChannelDestroyed' && late.channel?.id === farHalf) {
                cause = late.cause ?? cause;
                break;
              }
            }
          }
          await ari.hangup(p.customer.legId);
          await ari.hangup(p.agent.legId);
          const outcome = unanswered(cause, farState, Date.now() - dialedAt, p.customer.ringSeconds);
          return {
            agent: 'answered',
            customer: outcome === 'hangup' || outcome === 'completed' ? 'failed' : outcome,
            talkSeconds: 0,
          };
        }
      }
      await ari.stopPlayback(ringback);
      await ari.createBridge(p.bridgeId);
      await ari.addToBridge(p.bridgeId, [p.agent.legId, p.customer.legId]);
      if (p.recordAs) await ari.recordBridge(p.bridgeId, p.recordAs);
      connectedAt = Date.now();
    }
    for (;;) {
      const event = await read(Number.POSITIVE_INFINITY);
      if (!event || !isEnd(event)) continue;
      const id = event.channel?.id;
      if (id === p.agent.legId || id === p.customer.legId || id === farHalf) {
        await hangUpBoth();
        return { agent: 'answered', customer: 'answered', talkSeconds: talk() };
      }
    }
  } finally {
    if (p.recordAs) await ari.stopRecording(p.recordAs).catch(() => undefined);
    await ari.destroyBridge(p.bridgeId).catch(() => undefined);
    await cursor.close();
  }
}
