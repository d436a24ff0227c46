import { ApplicationFailure } from '@temporalio/activity';
import type { AriCommands } from '../asterisk/ari-commands';
import { ChannelGoneError } from '../asterisk/ari-errors';
import { MonitorError, startMonitor, stopMonitor, type MonitorResources } from '../asterisk/monitor';
import type { MonitorSessionInput } from '../workflows/monitor-session/contract';
import { isEnd, nextEvent } from './ari';
import { nextOrGone } from './channel-gone';
import type { ChannelEventSource } from './channel-events';

export interface MonitorActivityDeps {
  ari: AriCommands;
  events: ChannelEventSource;
  /** The Asterisk the session's channels live on (ASTERISK_NODE). */
  node: string;
}

/** Supervisor monitoring sessions, driven by MonitorSessionWorkflow so they outlive any one process. */
export function createMonitorActivities({ ari, events, node }: MonitorActivityDeps) {
  return {
    /** Rings the supervisor and connects them; why it could not is a non-retryable failure of that type. */
    async startMonitorSession(input: MonitorSessionInput): Promise<void> {
      try {
        await startMonitor(ari, input);
      } catch (err) {
        if (err instanceof MonitorError) {
          throw ApplicationFailure.create({ type: err.reason, message: err.message, nonRetryable: true });
        }
        throw err;
      }
    },

    /**
     * Resolves when the session can no longer do anything: the agent's leg, the supervisor or the snoop is
     * gone. Reads the channels' events from `fromSeq`, so a retry after a dead worker sees what it missed.
     */
    async awaitMonitorEnd(input: {
      fromSeq: number;
      agentLegId: string;
      resources: MonitorResources;
      /** Addresses the node's task queue (see onChannelNode). */
      node?: string;
    }) {
      const { supervisorId, snoopId } = input.resources;
      const watched = [input.agentLegId, supervisorId, snoopId];
      const cursor = await events.open(node, watched, input.fromSeq);
      try {
        // Barge makes no snoop: only the agent and the supervisor must still be there.
        for (const id of [input.agentLegId, supervisorId]) {
          const gone = await ari.getChannel(id).then(
            () => false,
            (err: unknown) => {
              if (err instanceof ChannelGoneError) return true;
              throw err;
            },
          );
          if (gone) return;
        }
        for (;;) {
          // Undefined: one of them was lost without an event (its Asterisk crashed or restarted).
          const next = await nextOrGone((until) => nextEvent(cursor, until), ari, [
            input.agentLegId,
            supervisorId,
          ]);
          if (!next || (isEnd(next.event) && watched.includes(next.event.channel?.id ?? ''))) return;
        }
      } finally {
        await cursor.close();
      }
    },

    /** Hangs up the supervisor and the snoop and removes the monitoring bridge; idempotent. */
    async stopMonitorSession(resources: MonitorResources): Promise<boolean> {
      return stopMonitor(ari, resources);
    },
  };
}

export type MonitorActivities = ReturnType<typeof createMonitorActivities>;
