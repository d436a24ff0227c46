import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DeliverPolicy, type ConsumerMessages } from 'nats';
import { z } from 'zod';
import { IdCursor } from '../../cursors';
import { Role } from '../../../lib/api-keys';
import { ensureEventsStream } from '../../../lib/events/publish';
import { createEventScope } from '../../../lib/events/scope';
import { DomainEventSchema, EVENT_TYPES, EventTypeSchema, type EventType } from '../../../lib/events/schemas';
import { STREAM_TOKEN_TTL_MS } from '../../../lib/events/stream-tokens';
import {
  EVENTS_STREAM,
  eventSubject,
  parseEventSubject,
  tenantEventsSubject,
} from '../../../lib/events/subjects';
import { InvalidFieldError, TooManyRequestsError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

const Types = z
  .string()
  .max(1000)
  .transform((s) =>
    s
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .pipe(z.array(EventTypeSchema).min(1, 'name at least one event type'));

/**
 * `GET /v1/events`: the tenant's events as server-sent events, live from the EVENTS stream. Each SSE `id`
 * is the event's stream sequence: a client reconnecting with `Last-Event-ID` (EventSource does it by itself)
 * resumes right after the last event it saw, for as long as the stream keeps events (7 days).
 */
/** Event streams one tenant may hold at once (in this gateway process). @default 50 */
const MAX_STREAMS_PER_TENANT = 50;

const events: FastifyPluginAsyncZod = async (app) => {
  const streamsOf = new Map<string, number>();
  // The gateway may be up before any worker made the stream.
  await ensureEventsStream(app.nats);
  const open = new Set<() => Promise<void>>();
  app.addHook('onClose', async () => {
    await Promise.all([...open].map((end) => end()));
  });

  const everyRole = [Role.Admin, Role.Developer, Role.Supervisor, Role.Agent] as const;

  app.post(
    '/token',
    {
      config: { roles: everyRole },
      schema: {
        tags: ['events'],
        summary: 'Mint a short-lived access_token that opens GET /v1/events from a browser (EventSource)',
        description:
          `EventSource cannot send an Authorization header. The token opens the stream as \`?access_token=\`, ` +
          `with the same tenant and role as the key that minted it, for ${STREAM_TOKEN_TTL_MS / 60_000} minutes ` +
          '(a stream opened in time stays open). It is worth nothing on any other route.',
        response: {
          201: z.object({
            token: z.string(),
            expiresAt: z.string().datetime(),
            expiresInSec: z.number().int(),
          }),
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const minted = await app.streamTokens.mint(request.principal.keyId);
      return reply.code(201).send({ ...minted, expiresInSec: STREAM_TOKEN_TTL_MS / 1000 });
    },
  );

  app.get(
    '/',
    {
      config: { roles: everyRole, streamToken: true },
      schema: {
        tags: ['events'],
        summary: 'Stream the tenant’s events (text/event-stream); resume with Last-Event-ID',
        description:
          'Each message: `id: <stream sequence>`, `event: <type>`, `data: <event JSON>`. A `: ping` comment ' +
          `every ${HEARTBEAT_MS / 1000} s. Payloads are described in /asyncapi.json.`,
        querystring: z.object({
          /** Comma-separated event types. @default every type */
          types: Types.optional(),
          /** A token from POST /v1/events/token, for EventSource, which cannot send Authorization. */
          access_token: z
            .string()
            .max(400)
            .optional()
            .describe('A token from POST /v1/events/token (never an API key): for EventSource'),
          /** For clients that cannot send the Last-Event-ID header. */
          lastEventId: IdCursor.optional(),
        }),
        // The stream is text/event-stream; refusals (400, 401, 403, 429) are JSON like everywhere else.
        produces: ['text/event-stream', 'application/json'],
        response: {
          200: z
            .object({
              id: z.string().describe('the stream sequence: resume from it with Last-Event-ID'),
              event: z.string().describe('the event type'),
              data: z.string().describe('the event, JSON (see /asyncapi.json)'),
              retry: z.number().int().describe('reconnection delay, ms'),
            })
            .partial()
            .describe('one message of the text/event-stream'),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      // Each stream is a JetStream consumer: a tenant holds at most so many, so one tenant's clients cannot
      // exhaust NATS or this process for the others.
      const held = streamsOf.get(tenantId) ?? 0;
      if (held >= MAX_STREAMS_PER_TENANT) {
        throw new TooManyRequestsError(
          `at most ${MAX_STREAMS_PER_TENANT} event streams at once per tenant; close one first`,
          10,
        );
      }
      // Agents see their own events and their calls'; everyone else the whole tenant (the subject filter).
      const visible = createEventScope(request.principal);
      const types = new Set<EventType>(request.query.types ?? EVENT_TYPES);
      const last = request.headers['last-event-id'] ?? request.query.lastEventId;
      if (last !== undefined && !/^\d{1,19}$/.test(String(last)))
        throw new InvalidFieldError('headers.last-event-id', 'an id of a previous event (a stream sequence)');
      // NATS 2.9 takes one filter subject: exact when one type is asked for, the tenant's whole tree otherwise
      // (the rest filtered here).
      // An agent's scope has to see every event of the tenant (see below).
      const agent = request.principal.role === Role.Agent;
      const only = types.size === 1 && !agent ? [...types][0]! : undefined;
      // Counted at once (no await since the check), so a burst of requests cannot all slip past it.
      streamsOf.set(tenantId, held + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (streamsOf.get(tenantId) ?? 1) - 1;
        if (left > 0) streamsOf.set(tenantId, left);
        else streamsOf.delete(tenantId);
      };
      let messages: ConsumerMessages;
      try {
        const consumer = await app.nats.jetstream().consumers.get(EVENTS_STREAM, {
          filterSubjects: only ? eventSubject(tenantId, only) : tenantEventsSubject(tenantId),
          ...(last !== undefined
            ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(last) + 1 }
            : { deliver_policy: DeliverPolicy.New }),
        });
        messages = await consumer.consume();
      } catch (err) {
        release();
        throw err;
      }
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx buffers responses unless told not to; an event stream must not wait in a buffer.
        'x-accel-buffering': 'no',
      });
      out.write('retry: 3000\n: connected\n\n');
      const heartbeat = setInterval(() => out.write(': ping\n\n'), HEARTBEAT_MS);
      let ended = false;
      const end = async () => {
        if (ended) return;
        ended = true;
        release();
        clearInterval(heartbeat);
        open.delete(end);
        await messages.close().catch(() => undefined);
        out.end();
      };
      open.add(end);
      request.raw.on('close', () => void end());
      try {
        for await (const m of messages) {
          const type = parseEventSubject(m.subject)?.type;
          if (!type) continue;
          if (agent) {
            // Every event goes through the scope, not only the requested types: taking a call is what
            // makes the call's later events visible, also to a stream that asked only for call.ended.
            const event = DomainEventSchema.safeParse(m.json<unknown>());
            if (!event.success || !visible(event.data)) continue;
          }
          if (!types.has(type as EventType)) continue;
          const written = out.write(`id: ${m.seq}\nevent: ${type}\ndata: ${m.string()}\n\n`);
          // A slow client: wait for its buffer to drain rather than hold every event in memory.
          if (!written && !ended) await new Promise((r) => out.once('drain', r).once('close', r));
        }
      } catch (err) {
        request.log.warn({ err }, 'event stream ended');
      } finally {
        await end();
      }
    },
  );
};

export default events;
