import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DeliverPolicy, type ConsumerMessages } from 'nats';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { ensureEventsStream } from '../../../lib/events/publish';
import { EVENT_TYPES, EventTypeSchema, type EventType } from '../../../lib/events/schemas';
import {
  EVENTS_STREAM,
  eventSubject,
  parseEventSubject,
  tenantEventsSubject,
} from '../../../lib/events/subjects';
import { InvalidFieldError } from '../../errors';
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
const events: FastifyPluginAsyncZod = async (app) => {
  // The gateway may be up before any worker made the stream.
  await ensureEventsStream(app.nats);
  const open = new Set<() => Promise<void>>();
  app.addHook('onClose', async () => {
    await Promise.all([...open].map((end) => end()));
  });

  app.get(
    '/',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor, Role.Agent] },
      schema: {
        tags: ['events'],
        summary: 'Stream the tenant’s events (text/event-stream); resume with Last-Event-ID',
        description:
          'Each message: `id: <stream sequence>`, `event: <type>`, `data: <event JSON>`. A `: ping` comment ' +
          `every ${HEARTBEAT_MS / 1000} s. Payloads are described in /asyncapi.json.`,
        querystring: z.object({
          /** Comma-separated event types. @default every type */
          types: Types.optional(),
          /** For clients that cannot send the Last-Event-ID header. */
          lastEventId: z
            .string()
            .regex(/^\d{1,19}$/)
            .optional(),
        }),
        produces: ['text/event-stream'],
        response: {
          200: z.string().describe('text/event-stream'),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const types = new Set<EventType>(request.query.types ?? EVENT_TYPES);
      const last = request.headers['last-event-id'] ?? request.query.lastEventId;
      if (last !== undefined && !/^\d{1,19}$/.test(String(last)))
        throw new InvalidFieldError('headers.last-event-id', 'an id of a previous event (a stream sequence)');
      // NATS 2.9 takes one filter subject: exact when one type is asked for, the tenant's whole tree otherwise
      // (the rest filtered here).
      const only = types.size === 1 ? [...types][0]! : undefined;
      const consumer = await app.nats.jetstream().consumers.get(EVENTS_STREAM, {
        filterSubjects: only ? eventSubject(tenantId, only) : tenantEventsSubject(tenantId),
        ...(last !== undefined
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(last) + 1 }
          : { deliver_policy: DeliverPolicy.New }),
      });
      const messages: ConsumerMessages = await consumer.consume();

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
          if (!type || !types.has(type as EventType)) continue;
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
