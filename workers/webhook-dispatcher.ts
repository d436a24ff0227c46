import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import type { Pool } from '../lib/db';
import { ensureEventsStream } from '../lib/events/publish';
import { DomainEventSchema, type DomainEvent } from '../lib/events/schemas';
import { ALL_EVENTS_SUBJECT, EVENTS_STREAM } from '../lib/events/subjects';
import type { Logger } from '../lib/logger';
import { WebhookDeliveryWorkflow } from '../workflows/webhook-delivery/workflow';
import { webhookDeliveryWorkflowId } from '../workflows/webhook-delivery/contract';
import type { WebhookRetryPolicy } from '../workflows/webhook-delivery/contract';

export interface WebhookDispatcherOptions {
  nc: NatsConnection;
  client: Client;
  pool: Pool;
  taskQueue: string;
  log: Logger;
  /** Passed to every delivery workflow. @default the workflow's own (10 s initial wait, 24 h in all) */
  retry?: WebhookRetryPolicy;
  /** Events handled at once. @default 32 */
  concurrency?: number;
}

/**
 * Turns the EVENTS stream into webhook deliveries: for each event, one WebhookDeliveryWorkflow per webhook
 * of the tenant subscribed to its type, then the ack. The consumer is durable and acks are explicit, so an
 * event whose dispatch a dying worker did not finish is redelivered; the workflow id (webhook, event) makes
 * a redelivery start nothing twice. Workers on one task queue share the consumer and split the events, and
 * start deliveries only of the webhooks created for that task queue (see webhooks.task_queue).
 */
export class WebhookDispatcher {
  private messages: ConsumerMessages | undefined;
  private done: Promise<void> | undefined;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  /** The durable consumer's name: one per task queue, so test stacks beside each other do not share it. */
  get durable(): string {
    return `webhooks-${this.options.taskQueue}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }

  async start(): Promise<void> {
    const { nc } = this.options;
    await ensureEventsStream(nc);
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(EVENTS_STREAM, {
      durable_name: this.durable,
      filter_subject: ALL_EVENTS_SUBJECT,
      ack_policy: AckPolicy.Explicit,
      // Created once: from then on the durable remembers where it was, across restarts.
      deliver_policy: DeliverPolicy.New,
      ack_wait: 30_000_000_000,
      max_ack_pending: 1000,
    });
    const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, this.durable);
    this.messages = await consumer.consume({ max_messages: 100 });
    this.done = this.loop(this.messages);
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.done;
  }

  private async loop(messages: ConsumerMessages): Promise<void> {
    const limit = this.options.concurrency ?? 32;
    const inFlight = new Set<Promise<void>>();
    for await (const m of messages) {
      const task = this.dispatch(m).then(
        () => m.ack(),
        (err: unknown) => {
          this.options.log.error(
            { err, subject: m.subject },
            'dispatching an event to webhooks failed; retrying',
          );
          m.nak(2000);
        },
      );
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  }

  private async dispatch(m: JsMsg): Promise<void> {
    const parsed = DomainEventSchema.safeParse(m.json<unknown>());
    if (!parsed.success) {
      // publishEvent checks every event: this is someone else's message on our subjects. Nothing to deliver.
      this.options.log.warn({ subject: m.subject, seq: m.seq }, 'not a CTICloud event; skipped');
      return;
    }
    const event: DomainEvent = parsed.data;
    const { rows } = await this.options.pool.query<{ id: string }>(
      `select id from webhooks
        where tenant_id = $1 and $2 = any(event_types) and task_queue = $3 and deleted_at is null`,
      [event.tenantId, event.type, this.options.taskQueue],
    );
    await Promise.all(
      rows.map(async ({ id }) => {
        try {
          await this.options.client.workflow.start(WebhookDeliveryWorkflow, {
            workflowId: webhookDeliveryWorkflowId(id, event.id),
            taskQueue: this.options.taskQueue,
            args: [{ webhookId: id, event, retry: this.options.retry }],
            // Once per (webhook, event), ever: a redelivered event after the delivery finished must not
            // deliver again.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }),
    );
    if (rows.length)
      this.options.log.debug(
        { event: event.id, type: event.type, webhooks: rows.length },
        'event dispatched',
      );
  }
}
