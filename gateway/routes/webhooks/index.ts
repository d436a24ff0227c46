import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdCursor } from '../../cursors';
import { Role } from '../../../lib/api-keys';
import { EVENT_TYPES, EventTypeSchema, OPT_IN_EVENT_TYPES } from '../../../lib/events/schemas';
import { checkTarget } from '../../../lib/outbound/address';
import { outboundRules } from '../../../lib/outbound/rules';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';

const Webhook = z
  .object({
    id: z.string().uuid(),
    url: z.string(),
    eventTypes: z.array(EventTypeSchema),
    description: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Webhook' });
const WebhookInput = z.object({
  url: z.string().trim().max(2048),
  /** @default every type but the opt-in ones (flow.node_entered) */
  eventTypes: z
    .array(EventTypeSchema)
    .min(1)
    .refine((t) => new Set(t).size === t.length, 'event types are listed once each')
    .optional(),
  /** The signing key. @default 32 random bytes, hex; returned in this response only */
  secret: z.string().min(16).max(256).optional(),
  description: z.string().max(500).default(''),
});
const Delivery = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    attempt: z.number().int(),
    status: z.enum(['delivered', 'failed', 'rejected']),
    responseCode: z.number().int().nullable(),
    durationMs: z.number().int(),
    error: z.string().nullable(),
    attemptedAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });
const WebhookId = z.object({ id: z.string().uuid('a webhook id is a UUID') });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
// Webhooks carry the tenant's data out of CTICloud: only the roles that integrate systems manage them.
const roles = [Role.Admin, Role.Developer] as const;

interface WebhookRow {
  id: string;
  url: string;
  event_types: string[];
  description: string;
  created_at: Date;
}
const toWebhook = (r: WebhookRow) => ({
  id: r.id,
  url: r.url,
  eventTypes: r.event_types as z.infer<typeof EventTypeSchema>[],
  description: r.description,
  createdAt: r.created_at.toISOString(),
});

/** Webhooks: signed deliveries of the tenant's events, retried for 24 h. See docs/webhooks.md. */
const webhooks: FastifyPluginAsyncZod = async (app) => {
  const find = async (tenantId: string, id: string) => {
    const { rows } = await app.pg.query<WebhookRow>(
      'select * from webhooks where tenant_id = $1 and id = $2 and deleted_at is null',
      [tenantId, id],
    );
    if (!rows[0]) throw new NotFoundError('webhook', id);
    return rows[0];
  };

  app.post(
    '/',
    {
      config: { roles },
      schema: {
        tags: ['webhooks'],
        summary: 'Subscribe a URL to event types; the response carries the signing secret, shown this once',
        body: WebhookInput,
        response: { 201: Webhook.extend({ secret: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const { url, description } = request.body;
      const { rows: tenant } = await app.pg.query<{ webhook_allow_private: boolean }>(
        'select webhook_allow_private from tenants where id = $1',
        [tenantId],
      );
      const check = await checkTarget(
        url,
        await outboundRules(app.config, tenant[0]?.webhook_allow_private ?? false),
      );
      if (!check.ok) throw new InvalidFieldError('body.url', check.reason);
      const eventTypes =
        request.body.eventTypes ?? EVENT_TYPES.filter((t) => !OPT_IN_EVENT_TYPES.includes(t));
      const secret = request.body.secret ?? randomBytes(32).toString('hex');
      const { rows } = await app.pg.query<WebhookRow>(
        `insert into webhooks (tenant_id, url, event_types, secret, description, task_queue)
         values ($1, $2, $3, $4, $5, $6) returning *`,
        [tenantId, check.url.href, eventTypes, secret, description, app.config.TEMPORAL_TASK_QUEUE],
      );
      return reply.code(201).send({ ...toWebhook(rows[0]!), secret });
    },
  );

  app.get(
    '/',
    {
      config: { roles },
      schema: { tags: ['webhooks'], response: { 200: z.object({ webhooks: z.array(Webhook) }), ...errors } },
    },
    async (request) => {
      const { rows } = await app.pg.query<WebhookRow>(
        'select * from webhooks where tenant_id = $1 and deleted_at is null order by created_at, id',
        [request.principal.tenantId],
      );
      return { webhooks: rows.map(toWebhook) };
    },
  );

  app.get(
    '/:id',
    {
      config: { roles },
      schema: { tags: ['webhooks'], params: WebhookId, response: { 200: Webhook, ...errors } },
    },
    async (request) => toWebhook(await find(request.principal.tenantId, request.params.id)),
  );

  app.delete(
    '/:id',
    {
      config: { roles },
      schema: {
        tags: ['webhooks'],
        summary: 'Stop deliveries, pending retries included; the delivery log is kept',
        params: WebhookId,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await find(request.principal.tenantId, request.params.id);
      // Soft: deliveries in retry find it deleted at their next attempt and stop (WebhookGone).
      await app.pg.query('update webhooks set deleted_at = now(), version = version + 1 where id = $1', [
        request.params.id,
      ]);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:id/deliveries',
    {
      config: { roles },
      schema: {
        tags: ['webhooks'],
        summary: 'Every delivery attempt, newest first, cursor paging',
        params: WebhookId,
        querystring: z.object({
          /** nextCursor of the previous page. */
          cursor: IdCursor.optional(),
          eventId: z.string().uuid().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: {
          200: z.object({ deliveries: z.array(Delivery), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const hook = await find(request.principal.tenantId, request.params.id);
      const { cursor, eventId, limit } = request.query;
      // Keyset on the attempt's id, descending: every page costs the same, however deep.
      const { rows } = await app.pg.query<{
        id: string;
        event_id: string;
        event_type: string;
        attempt: number;
        status: 'delivered' | 'failed' | 'rejected';
        response_code: number | null;
        duration_ms: number;
        error: string | null;
        attempted_at: Date;
      }>(
        `select * from webhook_deliveries
          where webhook_id = $1 and ($2::bigint is null or id < $2) and ($3::uuid is null or event_id = $3)
          order by id desc limit $4`,
        [hook.id, cursor ?? null, eventId ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      return {
        deliveries: page.map((d) => ({
          id: d.id,
          eventId: d.event_id,
          eventType: d.event_type,
          attempt: d.attempt,
          status: d.status,
          responseCode: d.response_code,
          durationMs: d.duration_ms,
          error: d.error,
          attemptedAt: d.attempted_at.toISOString(),
        })),
        nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
      };
    },
  );
};

export default webhooks;
