import type { AriNodes } from '../asterisk/nodes';
import type { Pool } from '../lib/db';
import { isDoNotCall } from './campaign';
import type { ChannelEventSource } from './channel-events';
import { pickLiveNode } from './nodes';

export interface AttemptPreparation {
  /** On the tenant's do-not-call list: not dialed. */
  doNotCall: boolean;
  /** The Asterisk to dial from, and where its event stream is now (the dial reads from there). */
  node: string;
  fromSeq: number;
}

/**
 * What a campaign attempt learns before it dials, in one local activity (issue #14, I): the do-not-call
 * check, the node and the stream position had been three activities, each a round trip to the server and a
 * workflow task. Read only, so running it again is harmless.
 */
export function createAttemptPreparation(deps: { pool: Pool; nodes: AriNodes; events: ChannelEventSource }) {
  return {
    /** `dials`: the attempt dials the contact itself (not preview, where the agent's accept comes first). */
    async prepareAttempt(input: {
      tenantId: string;
      phone: string;
      dials: boolean;
    }): Promise<AttemptPreparation> {
      const doNotCall = await isDoNotCall(deps.pool, input.tenantId, input.phone);
      // The position before the dial: nothing the dial causes can come before it.
      const fromSeq = await deps.events.position();
      const node = !doNotCall && input.dials ? await pickLiveNode(deps.nodes) : '';
      return { doNotCall, node, fromSeq };
    },
  };
}

export type AttemptPreparationActivities = ReturnType<typeof createAttemptPreparation>;
