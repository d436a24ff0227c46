import type { AriCommands } from '../asterisk/ari-commands';
import type { AriEvent } from '../asterisk/ari-events';
import { DIALED_LEG_ARG } from '../workflows/call/contract';
import { isEnd, nextEvent, replayFirstTry } from './ari';
import { nextOrGone } from './channel-gone';
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
 * A callback attempt, agent first: ring the agent routing reserved, and once they answer, dial the customer
 * while the agent hears ringback; bridge and record when the customer answers. A retry (the worker died
 * mid-attempt) first replays what its first try left in the event stream and carries on from there: a leg
 * already dialed is never dialed again, legs both answered but not yet bridged are bridged, and a
 * conversation that ended while the worker was down is reported as it happened, with its talk time from
 * Asterisk's timestamps. The customer is dialed at most once per attempt.
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
  const talk = (endedAt = Date.now()) =>
    connectedAt ? Math.max(0, Math.round((endedAt - connectedAt) / 1000)) : 0;
  const replayed: AriEvent[] = [];
  const read = async (until: number): Promise<AriEvent | undefined> =>
    replayed.shift() ?? (await nextEvent(cursor, until))?.event;
  const hangUpBoth = async () => {
    await ari.hangup(p.agent.legId);
    await ari.hangup(p.customer.legId);
  };
  /** On a resumed attempt a bridge step may already be done, or its channels gone: carry on regardless. */
  const step = (work: Promise<unknown>) => (resume ? work.catch(() => undefined) : work);
  try {
    if (resume) replayed.push(...(await replayFirstTry(cursor)).map((e) => e.event));
    const dialed = (...ids: (string | undefined)[]) => replayed.some((e) => ids.includes(e.channel?.id));
    const customerAnswered = replayed.some(
      (e) => e.channel?.id === p.customer.legId && e.type === 'StasisStart',
    );
    if (!dialed(p.agent.legId)) {
      await ari.originate({
        endpoint: p.agent.endpoint,
        app,
        appArgs: DIALED_LEG_ARG,
        channelId: p.agent.legId,
        timeout: p.agent.ringSeconds,
        formats: 'ulaw',
      });
    }
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
    if (!customerAnswered) await ari.play(p.agent.legId, ['tone:ring'], ringback).catch(() => undefined);
    const customerLeg = {
      endpoint: outboundDial.replaceAll('{number}', p.customer.number),
      channelId: p.customer.legId,
      callerId: p.customer.callerId,
      timeout: p.customer.ringSeconds,
      formats: 'ulaw',
    };
    if (!dialed(p.customer.legId, farHalf)) {
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
    }
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
        const answeredAt = Date.parse(event.timestamp);
        connectedAt = Number.isFinite(answeredAt) ? answeredAt : Date.now();
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
    // Both answered: join them (a first try that died here left them apart, the agent hearing ringback).
    await step(ari.stopPlayback(ringback));
    await step(ari.createBridge(p.bridgeId));
    await step(ari.addToBridge(p.bridgeId, [p.agent.legId, p.customer.legId]));
    if (p.recordAs) await step(ari.recordBridge(p.bridgeId, p.recordAs));
    for (;;) {
      const event = await nextOrGone(read, ari, [p.agent.legId, p.customer.legId]);
      if (!event) {
        // A leg its Asterisk lost without an event (a crash or restart, its site lost): the conversation is over.
        await hangUpBoth();
        return { agent: 'answered', customer: 'answered', talkSeconds: talk() };
      }
      if (!isEnd(event)) continue;
      const id = event.channel?.id;
      if (id === p.agent.legId || id === p.customer.legId || id === farHalf) {
        await hangUpBoth();
        const endedAt = Date.parse(event.timestamp);
        return {
          agent: 'answered',
          customer: 'answered',
          talkSeconds: talk(Number.isFinite(endedAt) ? endedAt : Date.now()),
        };
      }
    }
  } finally {
    if (p.recordAs) await ari.stopRecording(p.recordAs).catch(() => undefined);
    await ari.destroyBridge(p.bridgeId).catch(() => undefined);
    await cursor.close();
  }
}
