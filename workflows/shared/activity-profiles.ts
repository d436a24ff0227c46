import {
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { ariTaskQueue } from '../../domain/asterisk-nodes';
import type { AttemptPreparationActivities } from '../../activities/campaign-prepare';
import type { AriActivities } from '../../activities/ari';
import type { AcdActivities } from '../../activities/acd';
import type { CallControlActivities } from '../../activities/call-control';
import type { CampaignActivities } from '../../activities/campaign';
import type { AttemptLauncherActivities } from '../../activities/campaign-launch';
import type { AttemptReportActivities } from '../../activities/campaign-report';
import type { TicketActivities } from '../../activities/tickets';
import type { CdrActivities } from '../../activities/cdr';
import type { FlowDataActivities } from '../../activities/flow-data';
import type { SpeechActivities } from '../../activities/speech';
import type { MonitorActivities } from '../../activities/monitor';
import type { NodeActivities } from '../../activities/nodes';
import { carryEvents } from './outbox';

/** Marks workflows whose channel commands go to their node's task queue (several Asterisk nodes). */
export const NODE_QUEUES_PATCH = 'ari-node-queues';

/**
 * Activities that act on a channel: a call whose input names the channel's `node` is scheduled on that
 * node's task queue, which only workers connected to that Asterisk poll. Calls without a node (reads of
 * the event stream, PostgreSQL) stay on the workflow's task queue, as do all calls of workflows that
 * started before node queues (their replay must schedule what they scheduled then).
 */
function onChannelNode<T extends object>(options: ActivityOptions, carries = true): T {
  const home = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>(options);
  // Proxies are stateless, so one per node queue serves every workflow of the worker.
  const nodeProxies = new Map<string, typeof home>();
  const onNode = (node: string) => {
    const queue = ariTaskQueue(workflowInfo().taskQueue, node);
    let proxy = nodeProxies.get(queue);
    if (!proxy) {
      proxy = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>({
        ...options,
        taskQueue: queue,
      });
      nodeProxies.set(queue, proxy);
    }
    return proxy;
  };
  return new Proxy({} as T, {
    get: (_, name) => {
      if (typeof name !== 'string') return undefined;
      const schedule = (...args: unknown[]) => {
        const node = (args[0] as { node?: unknown } | undefined)?.node;
        if (typeof node === 'string' && patched(NODE_QUEUES_PATCH)) return onNode(node)[name]!(...args);
        return home[name]!(...args);
      };
      if (!carries) return schedule;
      return (input: unknown, ...rest: unknown[]) => carryEvents(input, (i) => schedule(i, ...rest));
    },
  });
}

/**
 * Activities that take the workflow's waiting domain events along (outbox.ts). Not local activities (they
 * run inside the workflow task, which the events must not lengthen) nor hours-long ones (a failure after
 * the duplicate window would publish their events again).
 */
function carrying<T extends object>(activities: T): T {
  return new Proxy(activities, {
    get: (target, name) => {
      const fn = (target as Record<string | symbol, unknown>)[name];
      if (typeof name !== 'string' || typeof fn !== 'function') return fn;
      return (input: unknown, ...rest: unknown[]) =>
        carryEvents(input, (i) => (fn as (...a: unknown[]) => Promise<unknown>)(i, ...rest));
    },
  });
}

/** Commands to Asterisk: quick, retried briefly; a vanished channel is final (ChannelGone). */
export const ariCommand = onChannelNode<AriActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '100 milliseconds', maximumAttempts: 5, nonRetryableErrorTypes: ['ChannelGone'] },
});

/**
 * Answering is on the caller's critical path: as a local activity it runs in the same workflow task,
 * with no round trip to the server to schedule and dispatch it.
 */
export const answerNow = proxyLocalActivities<AriActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '100 milliseconds', maximumAttempts: 5, nonRetryableErrorTypes: ['ChannelGone'] },
});

/** Waiting on media (prompts, digits): long, heartbeating so a dead worker is noticed in seconds. */
export const mediaWait = onChannelNode<AriActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['ChannelGone'],
  },
});

/** Writes to PostgreSQL: retried until the database is back; a CDR must not be lost. */
export const persistence = carrying(
  proxyActivities<CdrActivities>({
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '500 milliseconds',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: ['CdrRejected'],
    },
  }),
);

/** Making a TTS prompt: seconds at most; an unknown voice fails for good. */
export const speech = carrying(
  proxyActivities<SpeechActivities>({
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '200 milliseconds',
      maximumAttempts: 3,
      nonRetryableErrorTypes: ['SpeechRejected'],
    },
  }),
);

/**
 * Holding a call's media for a long time (a transfer's conversation, a queue's hold music, a voicemail):
 * hours at most, heartbeating; a retry after a dead worker resumes from the activity's event sequence.
 */
export const callControl = onChannelNode<CallControlActivities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 5, nonRetryableErrorTypes: ['ChannelGone'] },
});

/** Flow data in PostgreSQL and Asterisk's store: quick, retried while the database is away. */
const FLOW_DATA_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['RecordingNotFound', 'FlowNotFound'],
  },
} satisfies ActivityOptions;
export const flowData = onChannelNode<FlowDataActivities>(FLOW_DATA_OPTIONS);

/** An http node's request: its own timeout and retries are the node's, so one attempt here. */
export const flowHttp = (timeoutMs: number) =>
  proxyActivities<FlowDataActivities>({
    startToCloseTimeout: timeoutMs + 5000,
    retry: { maximumAttempts: 1 },
  });

/** The routing workflow and queue settings: quick; a queue that is gone is final. */
export const acd = carrying(
  proxyActivities<AcdActivities>({
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '200 milliseconds',
      backoffCoefficient: 2,
      maximumInterval: '5 seconds',
      nonRetryableErrorTypes: ['QueueNotFound'],
    },
  }),
);

/**
 * Joining a queue when a callback falls due: as a local activity it runs inside the callback's first
 * workflow task, so thousands falling due at once cost one task each (see acd.joinQueue).
 */
export const acdNow = proxyLocalActivities<AcdActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

/** Steps that need a live Asterisk: quick, retried every few seconds (five minutes in all) while none answers. */
const UNTIL_A_NODE_ANSWERS = {
  startToCloseTimeout: '5 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 60,
  },
} as const;

/**
 * A campaign attempt's reads before it dials (do-not-call, node, stream position), as one local activity in
 * the attempt's first workflow task. Retried while no Asterisk answers, as choosing a node was.
 */
export const attemptNow = proxyLocalActivities<AttemptPreparationActivities>(UNTIL_A_NODE_ANSWERS);

/**
 * A campaign attempt's other steps without a round trip to the server (issue #14, I): its flow loaded when
 * the contact answers, as flowData would (retried while PostgreSQL is away; an unpublished flow is final),
 * and its end recorded and reported (activities/campaign-report.ts), retried until PostgreSQL and Temporal
 * take it: an attempt's outcome must not be lost.
 */
export const attemptFlowNow = proxyLocalActivities<FlowDataActivities>(FLOW_DATA_OPTIONS);
export const attemptReportNow = proxyLocalActivities<AttemptReportActivities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    nonRetryableErrorTypes: ['CampaignNotFound'],
  },
});

/**
 * Reads a waiting caller can do without (their position for an announcement): two quick tries, then the
 * caller goes on waiting. An offer or the wait limit must never queue behind a slow read.
 */
export const acdQuick = carrying(
  proxyActivities<AcdActivities>({
    startToCloseTimeout: '2 seconds',
    retry: { initialInterval: '200 milliseconds', maximumAttempts: 2 },
  }),
);

/** A campaign's contacts and attempts in PostgreSQL: retried while the database is away. */
export const campaignData = carrying(
  proxyActivities<CampaignActivities>({
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '500 milliseconds',
      backoffCoefficient: 2,
      maximumInterval: '10 seconds',
      nonRetryableErrorTypes: ['CampaignNotFound'],
    },
  }),
);

/**
 * A campaign's attempts started in a batch (activities/campaign-launch.ts): retried while Temporal is away;
 * a batch is at most two seconds of slots, so a retry after 10 s would start attempts whose slot has passed,
 * which then dial at once, as a late child start did.
 */
export const attemptLauncher = carrying(
  proxyActivities<AttemptLauncherActivities>({
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '2 seconds' },
  }),
);

/** Tickets' projection and settings in PostgreSQL: retried until the database is back. */
export const ticketData = carrying(
  proxyActivities<TicketActivities>({
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  }),
);

/**
 * Starting a monitor session rings the supervisor: one attempt, since a retry would ring them again; a
 * failure is cleaned up by the workflow.
 */
export const monitorStart = onChannelNode<MonitorActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 1 },
});

/** Watching a session (hours at most) and ending it: heartbeating, retried after a dead worker. */
export const monitorWatch = onChannelNode<MonitorActivities>(
  {
    startToCloseTimeout: '8 hours',
    heartbeatTimeout: '5 seconds',
    retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 50 },
  },
  false,
);

/** Choosing the Asterisk for a new call: retried (every few seconds) while no node answers. */
const placement = carrying(proxyActivities<NodeActivities>(UNTIL_A_NODE_ANSWERS));

/**
 * The node a new outbound call (callback, campaign) is placed on, as `{ node }` to spread into the dial's
 * input; nothing for workflows that started before several nodes (their worker's own node dials).
 */
export async function nodeForNewCall(): Promise<{ node?: string }> {
  return patched(NODE_QUEUES_PATCH) ? { node: await placement.liveAsteriskNode() } : {};
}
