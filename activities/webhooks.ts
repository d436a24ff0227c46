import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { Pool } from '../lib/db';
import type { DomainEvent } from '../lib/events/schemas';
import { checkWebhookUrlSyntax, hostOf, isPrivateAddress } from '../lib/webhooks/address';
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

interface Response {
  code: number;
  body: string;
  retryAfter?: string;
}

/**
 * POSTs without following redirects (a redirect could lead anywhere, a private address included). With
 * `pinned`, the connection goes to that already-checked address whatever DNS says now: no rebinding
 * between the check and the connect. TLS still verifies the URL's host name.
 */
function post(url: URL, body: string, headers: Record<string, string>, pinned?: string): Promise<Response> {
  const family = pinned ? isIP(pinned) : 0;
  const pin: LookupFunction | undefined = pinned
    ? (_host, options, callback) =>
        options.all
          ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
              { address: pinned, family },
            ])
          : callback(null, pinned, family)
    : undefined;
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, lookup: pin },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_BODY) text += chunk;
        });
        response.on('end', () =>
          resolve({
            code: response.statusCode ?? 0,
            body: text.slice(0, MAX_ERROR_BODY),
            retryAfter: response.headers['retry-after'],
          }),
        );
        response.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => request.destroy(new Error(`no response within ${WEBHOOK_TIMEOUT_MS} ms`)),
      WEBHOOK_TIMEOUT_MS,
    );
    request.on('close', () => clearTimeout(timer));
    request.on('error', reject);
    request.end(body);
  });
}

interface WebhookRow {
  tenant_id: string;
  url: string;
  secret: string;
  deleted_at: Date | null;
  webhook_allow_private: boolean;
}

export function createWebhookActivities({ pool }: { pool: Pool }) {
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

      const syntax = checkWebhookUrlSyntax(row.url);
      if (!syntax.ok) {
        await record(webhookId, row, event, attempt, { status: 'rejected', ms: 0, error: syntax.reason });
        throw ApplicationFailure.create({
          type: 'WebhookAddressRefused',
          message: syntax.reason,
          nonRetryable: true,
        });
      }
      const url = syntax.url;
      // Resolved again now, not trusted from creation time: DNS can have changed since.
      let pinned: string | undefined;
      if (!row.webhook_allow_private) {
        const host = hostOf(url);
        let addresses: string[];
        try {
          addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
        } catch (err) {
          const error = `${host} does not resolve: ${(err as Error).message}`;
          await record(webhookId, row, event, attempt, { status: 'failed', ms: elapsed(), error });
          throw new Error(error);
        }
        const refused = addresses.find(isPrivateAddress);
        if (refused) {
          const error = `${host} resolves to ${refused}, a private or loopback address`;
          await record(webhookId, row, event, attempt, { status: 'rejected', ms: elapsed(), error });
          throw ApplicationFailure.create({
            type: 'WebhookAddressRefused',
            message: error,
            nonRetryable: true,
          });
        }
        pinned = addresses[0];
      }

      const body = JSON.stringify(event);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'CTICloud-Webhooks/1',
        'x-cticloud-event': event.type,
        'x-cticloud-delivery': deliveryId(webhookId, event.id),
        'x-cticloud-attempt': String(attempt),
        'x-cticloud-signature': signWebhookPayload(body, row.secret, Math.floor(Date.now() / 1000)),
      };
      let response: Response;
      try {
        response = await post(url, body, headers, pinned);
      } catch (err) {
        const error = (err as Error).message || String(err);
        await record(webhookId, row, event, attempt, { status: 'failed', ms: elapsed(), error });
        throw new Error(`delivering to ${url.origin}: ${error}`);
      }
      const ms = elapsed();
      const code = response.code;
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
