import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes, type VersioningOverride } from '@temporalio/common';
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import { ARI_STREAM, typeSubject, type AriEvent } from '../asterisk/ari-events';
import type { Logger } from '../lib/logger';
import { CallWorkflow } from '../workflows/call/workflow';
import { FlowCallWorkflow } from '../workflows/flow-call/workflow';
import type { ResolvedFlow } from './flow-resolver';
import {
  CallSearchAttributes,
  callWorkflowId,
  INTERNAL_ARG_PREFIX,
  hangupSignal,
  type CallInput,
} from '../workflows/call/contract';

export interface CallRouterOptions {
  nc: NatsConnection;
  client: Client;
  taskQueue: string;
  /** Only channels that entered this Stasis app are routed here. */
  app: string;
  tenantId: string;
  log: Logger;
  /** Start workflows on this process's own worker, skipping a server round trip. @default true */
  eagerStart?: boolean;
  /** The published flow a dialed number reaches, if any; calls without one run CallWorkflow. */
  resolveFlow?: (dialed: string, callId: string, caller: string) => Promise<ResolvedFlow | undefined>;
  /**
   * Answers a new inbound channel on its node; false when it could not (gone, node away), and the call's
   * workflow then answers itself as it always did. Answering here is what makes the answer as quick as a
   * bare ARI app's: it no longer waits for the workflow's first task. Absent: the workflow answers.
   */
  answer?: (node: string, channelId: string) => Promise<boolean>;
  /** Events handled at once per consumer; calls arrive in bursts and each start is a round trip. @default 64 */
  concurrency?: number;
  /**
   * The build a tenant's new calls are pinned to during a rollout (lib/rollout.ts), if that tenant was
   * chosen; undefined: Temporal's routing (the current build, or the ramping one for its share).
   */
  pinFor?: (tenantId: string) => VersioningOverride | undefined;
}

/** `ari.<node>.<resource>.<Event>` → node */
const nodeOf = (subject: string): string => subject.split('.')[1] ?? 'unknown';

/**
 * Turns the ARI event log into workflow starts and signals. Consumers are durable and acks are explicit,
 * so a router that dies mid-way leaves the event to be redelivered; the workflow id derived from the
 * channel makes a redelivered StasisStart start nothing twice.
 */
export class CallRouter {
  private readonly streams: ConsumerMessages[] = [];
  private js: JetStreamClient | undefined;

  constructor(private readonly options: CallRouterOptions) {}

  async start(): Promise<void> {
    const { nc, app } = this.options;
    const jsm = await nc.jetstreamManager();
    this.js = nc.jetstream();
    // StasisStart reaches only the app the channel entered; ChannelDestroyed comes from either bridge,
    // so a hangup is seen even while the owner bridge restarts.
    for (const [type, handler, ownAppOnly] of [
      ['StasisStart', this.onStasisStart, true],
      ['ChannelDestroyed', this.onChannelDestroyed, false],
    ] as const) {
      const durable = `router-${app}-${type}`.replace(/[^A-Za-z0-9_-]/g, '_');
      await jsm.consumers.add(ARI_STREAM, {
        durable_name: durable,
        filter_subject: typeSubject(type),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        ack_wait: 30_000_000_000,
        max_ack_pending: 1000,
      });
      const consumer = await this.js.consumers.get(ARI_STREAM, durable);
      const messages = await consumer.consume({ max_messages: 100 });
      this.streams.push(messages);
      void this.loop(messages, handler.bind(this), ownAppOnly);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.streams.map((m) => m.close()));
  }

  private async loop(
    messages: ConsumerMessages,
    handle: (m: JsMsg, e: AriEvent) => Promise<void>,
    ownAppOnly: boolean,
  ): Promise<void> {
    const limit = this.options.concurrency ?? 64;
    const inFlight = new Set<Promise<void>>();
    for await (const m of messages) {
      const event = m.json<AriEvent>();
      if (ownAppOnly && event.application !== this.options.app) {
        m.ack();
        continue;
      }
      // Both events the router handles name their channel; one that does not can never be handled, and
      // redelivering it forever would only repeat the failure.
      if (!event.channel?.id) {
        this.options.log.warn({ subject: m.subject }, 'ARI event without a channel; dropped');
        m.term();
        continue;
      }
      // Each message is a different call's StasisStart or ChannelDestroyed: nothing orders them, and one
      // start is a server round trip, so handling them one by one caps routing at ~12 calls/s.
      const task = handle(m, event).then(
        () => m.ack(),
        (err: unknown) => {
          this.options.log.error(
            { err, subject: m.subject },
            'routing an ARI event failed; it will be redelivered',
          );
          m.nak(500);
        },
      );
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  }

  private async onStasisStart(m: JsMsg, event: AriEvent): Promise<void> {
    // A leg one of our calls (or campaigns) dialed belongs to that workflow, not to a new one.
    if (event.args?.[0]?.startsWith(INTERNAL_ARG_PREFIX)) return;
    const channel = event.channel!;
    const node = nodeOf(m.subject);
    const input: CallInput = {
      tenantId: this.options.tenantId,
      channelId: channel.id,
      node,
      from: channel.caller.number || 'anonymous',
      to: event.args?.[0] ?? channel.dialplan?.exten ?? '',
      startedAt: new Date(event.timestamp).toISOString(),
      eventSeq: m.seq,
    };
    const workflowId = callWorkflowId(node, channel.id);
    // Every inbound call is answered (both call workflows answer first thing): answer while the flow is
    // looked up. A redelivered StasisStart answers an Up channel again, which Asterisk accepts, or finds it
    // gone; either way the start below is refused as a duplicate.
    const [answered, resolved] = await Promise.all([
      this.options.answer?.(node, channel.id) ?? Promise.resolve(false),
      this.options.resolveFlow?.(input.to, workflowId, input.from),
    ]);
    if (answered) input.answeredAt = new Date().toISOString();
    const callInput = resolved ? { ...input, tenantId: resolved.tenantId, flow: resolved.flow } : input;
    const workflow = resolved ? FlowCallWorkflow : CallWorkflow;
    const received = Date.now();
    const storedAt = Number(m.info.timestampNanos / 1_000_000);
    try {
      await this.options.client.workflow.start(workflow, {
        workflowId,
        taskQueue: this.options.taskQueue,
        args: [callInput],
        requestEagerStart: this.options.eagerStart ?? true,
        versioningOverride: this.options.pinFor?.(callInput.tenantId),
        // A StasisStart redelivered after the call ended must not start a second run (which would find the
        // channel gone and overwrite the real CDR): one channel, one run, ever.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: new TypedSearchAttributes([
          { key: CallSearchAttributes.state, value: 'ringing' },
          { key: CallSearchAttributes.caller, value: input.from },
          { key: CallSearchAttributes.dialed, value: input.to },
          { key: CallSearchAttributes.tenant, value: callInput.tenantId },
        ]),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    this.options.log.debug(
      {
        channel: channel.id,
        bridgeMs: storedAt - Date.parse(event.timestamp),
        consumeMs: received - storedAt,
        startMs: Date.now() - received,
      },
      'call routed',
    );
  }

  private async onChannelDestroyed(m: JsMsg, event: AriEvent): Promise<void> {
    const handle = this.options.client.workflow.getHandle(
      callWorkflowId(nodeOf(m.subject), event.channel!.id),
    );
    try {
      await handle.signal(hangupSignal, {
        at: new Date(event.timestamp).toISOString(),
        cause: event.cause,
        causeText: event.cause_txt,
      });
    } catch (err) {
      // Finished already (we hung up first), never a call, or a call of another namespace: nothing to tell.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
}
