import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../lib/db';
import type { DomainEvent } from '../lib/events/schemas';
import { checkTarget, type OutboundRules } from '../lib/outbound/address';
import { outboundRequest, type OutboundResponse } from '../lib/outbound/request';
import { signWebhookPayload } from '../sdk/verify-webhook';
import { stableUuid } from './events';

/** How long a receiver has to answer one delivery. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Kept from a failed response's body for the delivery log: enough for an error message. */
const MAX_ERROR_BODY = 1024;

export interface DeliverWebhookInput {
  webhookId: string;
  event: DomainEvent;
}

export interface DeliveryOutcome {
  responseCode: number;
  attempt: number;
}

/** The id a receiver sees in X-CTICloud-Delivery: the same on every retry of one (webhook, event). */
export const deliveryId = (webhookId: string, eventId: string): string =>
  stableUuid(`webhook-delivery/${webhookId}/${eventId}`);

/**
 * Receivers' 4xx mean "this request is wrong and will stay wrong" — except 408 (they timed out) and 429
 * (they are throttling us), which are worth another try.
 */
const isFinal = (code: number): boolean => code >= 400 && code < 500 && code !== 408 && code !== 429;

/** Retry-After in seconds or as a date → ms, capped so one receiver cannot park a delivery for a day. */
function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 3_600_000) : undefined;
}

interface WebhookRow {
  tenant_id: string;
  url: string;
  secret: string;
  deleted_at: Date | null;
  webhook_allow_private: boolean;
}

export interface WebhookActivityDeps {
  pool: Pool;
  /** The outbound rules for a tenant allowed (or not) private destinations. */
  rules: (allowPrivate: boolean) => Promise<OutboundRules>;
}

export function createWebhookActivities({ pool, rules }: WebhookActivityDeps) {
  const record = (
    webhookId: string,
    row: WebhookRow,
    event: DomainEvent,
    attempt: number,
    outcome: { status: 'delivered' | 'failed' | 'rejected'; code?: number; ms: number; error?: string },
  ) =>
    pool.query(
      `insert into webhook_deliveries
         (webhook_id, tenant_id, event_id, event_type, attempt, status, response_code, duration_ms, error)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        webhookId,
        row.tenant_id,
        event.id,
        event.type,
        attempt,
        outcome.status,
        outcome.code ?? null,
        Math.round(outcome.ms),
        outcome.error ?? null,
      ],
    );

  return {
    /**
     * One delivery attempt of one event to one webhook, signed, recorded in webhook_deliveries whatever
     * happens. Throws to be retried (network error, timeout, 5xx, 408, 429); throws a non-retryable
     * failure when retrying cannot help (the receiver's other 4xx, a refused address, a deleted webhook).
     */
    async deliverWebhook({ webhookId, event }: DeliverWebhookInput): Promise<DeliveryOutcome> {
      let attempt = 1;
      try {
        attempt = Context.current().info.attempt;
      } catch {
        // Called directly, outside a worker: a single attempt.
      }
      const { rows } = await pool.query<WebhookRow>(
        `select w.tenant_id, w.url, w.secret, w.deleted_at, t.webhook_allow_private
           from webhooks w join tenants t on t.id = w.tenant_id where w.id = $1`,
        [webhookId],
      );
      const row = rows[0];
      if (!row || row.deleted_at)
        throw ApplicationFailure.create({
          type: 'WebhookGone',
          message: `webhook ${webhookId} was deleted`,
          nonRetryable: true,
        });
      const started = performance.now();
      const elapsed = () => performance.now() - started;

      // Resolved again now, not trusted from creation time: DNS can have changed since.
      const target = await checkTarget(row.url, await rules(row.webhook_allow_private));
      if (!target.ok) {
        if (target.retryable) {
          await record(webhookId, row, event, attempt, {
            status: 'failed',
            ms: elapsed(),
            error: target.reason,
          });
          throw new Error(target.reason);
        }
        await record(webhookId, row, event, attempt, {
          status: 'rejected',
          ms: elapsed(),
          error: target.reason,
        });
        throw ApplicationFailure.create({
          type: 'WebhookAddressRefused',
          message: target.reason,
          nonRetryable: true,
        });
      }
      const url = target.url;

      const body = JSON.stringify(event);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'CTICloud-Webhooks/1',
        'x-cticloud-event': event.type,
        'x-cticloud-delivery': deliveryId(webhookId, event.id),
        'x-cticloud-attempt': String(attempt),
        'x-cticloud-signature': signWebhookPayload(body, row.secret, Math.floor(Date.now() / 1000)),
      };
      let response: OutboundResponse;
      try {
        response = await outboundRequest(url, {
          method: 'POST',
          headers,
          body,
          timeoutMs: WEBHOOK_TIMEOUT_MS,
          maxBytes: MAX_ERROR_BODY,
          address: target.address,
        });
      } catch (err) {
        const error = (err as Error).message || String(err);
        await record(webhookId, row, event, attempt, { status: 'failed', ms: elapsed(), error });
        throw new Error(`delivering to ${url.origin}: ${error}`);
      }
      const ms = elapsed();
      const code = response.status;
      if (code >= 200 && code < 300) {
        await record(webhookId, row, event, attempt, { status: 'delivered', code, ms });
        return { responseCode: code, attempt };
      }
      const error =
        code >= 300 && code < 400
          ? `HTTP ${code}: redirects are not followed`
          : `HTTP ${code}${response.body ? `: ${response.body}` : ''}`;
      if (isFinal(code)) {
        await record(webhookId, row, event, attempt, { status: 'rejected', code, ms, error });
        throw ApplicationFailure.create({ type: 'WebhookRejected', message: error, nonRetryable: true });
      }
      await record(webhookId, row, event, attempt, { status: 'failed', code, ms, error });
      throw ApplicationFailure.create({
        type: 'WebhookFailed',
        message: error,
        nextRetryDelay: retryAfterMs(response.retryAfter),
      });
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
