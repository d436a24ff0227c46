import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { decodeTicketCursor, encodeTicketCursor, TicketCursor } from '../../cursors';
import { Role } from '../../../lib/api-keys';
import { PRIORITIES, TicketStatus, type TicketFields } from '../../../domain/ticket/model';
import {
  ticketChangeUpdate,
  ticketQuery,
  ticketWorkflowId,
  type TicketChange,
} from '../../../workflows/ticket/contract';
import { NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { withCommentBodies } from './comments';
import { openTicket } from './open';

const Priority = z.enum(PRIORITIES);
const Status = z.enum(Object.values(TicketStatus) as [TicketStatus, ...TicketStatus[]]);
export const TicketInput = z.object({
  subject: z.string().trim().min(1).max(300),
  description: z.string().max(20_000).default(''),
  requester: z
    .object({
      number: z
        .string()
        .regex(/^\+?[0-9]{3,20}$/)
        .optional(),
      email: z.email().optional(),
      name: z.string().max(200).optional(),
    })
    .default({}),
  priority: Priority.default('normal'),
  queue: z.string().max(120).optional(),
  assignee: z.string().max(120).optional(),
  tags: z
    .array(z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -'))
    .max(30)
    .default([]),
  custom: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(2000)).default({}),
  calls: z.array(z.string().min(1).max(200)).max(50).default([]),
  recordings: z.array(z.string().uuid()).max(50).default([]),
});
const Patch = z
  .object({
    status: Status.optional(),
    assignee: z.string().max(120).nullable().optional(),
    subject: z.string().trim().min(1).max(300).optional(),
    description: z.string().max(20_000).optional(),
    priority: Priority.optional(),
    queue: z.string().max(120).optional(),
    tags: z
      .array(z.string().regex(/^[a-z0-9_-]{1,40}$/))
      .max(30)
      .optional(),
    custom: z.record(z.string(), z.string().max(2000)).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
const Comment = z.object({ body: z.string().trim().min(1).max(20_000), public: z.boolean().default(true) });
const Ticket = z
  .object({
    ticketId: z.string(),
    tenantId: z.string(),
    status: Status,
    fields: z.object({
      subject: z.string(),
      description: z.string(),
      requester: z.object({
        number: z.string().optional(),
        email: z.string().optional(),
        name: z.string().optional(),
      }),
      priority: Priority,
      queue: z.string().optional(),
      assignee: z.string().optional(),
      tags: z.array(z.string()),
      custom: z.record(z.string(), z.string()),
      calls: z.array(z.string()),
      recordings: z.array(z.string()),
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
    solvedAt: z.string().optional(),
    closedAt: z.string().optional(),
    sla: z.array(
      z.object({
        kind: z.enum(['first_response', 'resolution']),
        targetSec: z.number(),
        elapsedSec: z.number(),
        running: z.boolean(),
        breachAt: z.string().optional(),
        state: z.enum(['ok', 'near_breach', 'breached', 'met']),
        metAt: z.string().optional(),
      }),
    ),
    timeline: z.array(
      z.object({
        at: z.string(),
        kind: z.enum(['created', 'status', 'comment', 'assigned', 'updated', 'sla', 'linked']),
        by: z.string().optional(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
    version: z.number().int(),
  })
  .meta({ id: 'Ticket' });
const Summary = z.object({
  id: z.string(),
  subject: z.string(),
  status: Status,
  priority: Priority,
  assignee: z.string().nullable(),
  queue: z.string().nullable(),
  tags: z.array(z.string()),
  slaBreached: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const Params = z.object({ id: z.string().uuid('a ticket id is a UUID') });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const everyone = [Role.Admin, Role.Supervisor, Role.Agent, Role.Developer] as const;

/** Tickets: each a TicketWorkflow; listed and searched from its PostgreSQL projection. */
const tickets: FastifyPluginAsyncZod = async (app) => {
  const open = (tenantId: string, fields: TicketFields, by: string) => openTicket(app, tenantId, fields, by);

  const handleOf = async (tenantId: string, id: string) => {
    const handle = app.temporal.workflow.getHandle(ticketWorkflowId(id));
    try {
      const ticket = await handle.query(ticketQuery);
      if (ticket.tenantId !== tenantId) throw new NotFoundError('ticket', id);
      return handle;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError('ticket', id);
      throw err;
    }
  };
  const change = async (tenantId: string, id: string, by: string, changes: TicketChange[]) => {
    const handle = await handleOf(tenantId, id);
    for (const c of changes) {
      try {
        await handle.executeUpdate(ticketChangeUpdate, { args: [{ change: c, by }] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new ConflictError((err.cause as Error | undefined)?.message ?? err.message);
        // The workflow of a closed ticket has ended.
        throw new ConflictError(`ticket ${id} cannot change now: ${(err as Error).message}`);
      }
    }
    // Read after the changes, not from their answers: a change answers with its version only.
    return withCommentBodies(app.pg, await handle.query(ticketQuery));
  };

  app.post(
    '/',
    {
      config: { roles: everyone },
      schema: { tags: ['tickets'], body: TicketInput, response: { 201: Ticket, ...errors } },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      return reply.code(201).send(await open(tenantId, request.body as TicketFields, `key:${keyId}`));
    },
  );

  app.get(
    '/',
    {
      config: { roles: everyone },
      schema: {
        tags: ['tickets'],
        summary: 'List and search (q: words of subject and description), newest change first, cursor paging',
        querystring: z.object({
          status: Status.optional(),
          assignee: z.string().max(120).optional(),
          priority: Priority.optional(),
          q: z.string().trim().max(200).optional(),
          cursor: TicketCursor.optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ tickets: z.array(Summary), next: z.string().nullable() }), ...errors },
      },
    },
    async (request) => {
      const { status, assignee, priority, q, cursor, limit } = request.query;
      const after = cursor ? decodeTicketCursor(cursor) : undefined;
      const { rows } = await app.pg.query<{
        id: string;
        subject: string;
        status: TicketStatus;
        priority: (typeof PRIORITIES)[number];
        assignee: string | null;
        queue: string | null;
        tags: string[];
        sla_breached: boolean;
        created_at: Date;
        updated_at: Date;
      }>(
        `select id, subject, status, priority, assignee, queue, tags, sla_breached, created_at, updated_at from tickets
          where tenant_id = $1 and ($2::text is null or status = $2) and ($3::text is null or assignee = $3)
            and ($4::text is null or priority = $4)
            and ($5::text is null or search @@ plainto_tsquery('simple', $5))
            and ($6::timestamptz is null or (updated_at, id) < ($6, $7::uuid))
          order by updated_at desc, id desc limit $8`,
        [
          request.principal.tenantId,
          status ?? null,
          assignee ?? null,
          priority ?? null,
          q ?? null,
          after?.at ?? null,
          after?.id ?? null,
          limit,
        ],
      );
      const last = rows.length === limit ? rows.at(-1) : undefined;
      return {
        tickets: rows.map((r) => ({
          id: r.id,
          subject: r.subject,
          status: r.status,
          priority: r.priority,
          assignee: r.assignee,
          queue: r.queue,
          tags: r.tags,
          slaBreached: r.sla_breached,
          createdAt: r.created_at.toISOString(),
          updatedAt: r.updated_at.toISOString(),
        })),
        next: last ? encodeTicketCursor(last.updated_at, last.id) : null,
      };
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: everyone },
      schema: {
        tags: ['tickets'],
        summary: 'The ticket with its timeline and SLA clocks, from its workflow',
        params: Params,
        response: { 200: Ticket, ...errors },
      },
    },
    async (request) =>
      withCommentBodies(
        app.pg,
        await (await handleOf(request.principal.tenantId, request.params.id)).query(ticketQuery),
      ),
  );

  app.patch(
    '/:id',
    {
      config: { roles: everyone },
      schema: {
        tags: ['tickets'],
        summary:
          'Change status, assignee or fields; an invalid status change answers 409 with the allowed ones',
        params: Params,
        body: Patch,
        response: { 200: Ticket, ...errors },
      },
    },
    async (request) => {
      const { status, assignee, ...fields } = request.body;
      const changes: TicketChange[] = [];
      if (Object.keys(fields).length) changes.push({ kind: 'fields', fields });
      if (assignee !== undefined) changes.push({ kind: 'assign', assignee });
      if (status) changes.push({ kind: 'status', status });
      return change(request.principal.tenantId, request.params.id, `key:${request.principal.keyId}`, changes);
    },
  );

  app.post(
    '/:id/comments',
    {
      config: { roles: everyone },
      schema: {
        tags: ['tickets'],
        summary: 'A public reply or an internal note',
        params: Params,
        body: Comment,
        response: { 201: Ticket, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await change(request.principal.tenantId, request.params.id, `key:${request.principal.keyId}`, [
            { kind: 'comment', ...request.body },
          ]),
        ),
  );
};

export default tickets;
