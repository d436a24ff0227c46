import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { callStatusQuery, type CallStatus } from '../../../workflows/call/contract';
import type { FlowCallStatus } from '../../../workflows/flow-call/contract';
import type { TicketFields } from '../../../domain/ticket/model';
import { ErrorBody } from '../../plugins/error-handler';
import { TicketInput } from '../tickets/index';
import { openTicket } from '../tickets/open';
import { assertOnCall, tenantCallOnly } from './lookup';

const Body = z.object({
  /** The agent's wrap-up code: resolved, follow_up, … */
  disposition: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -'),
  notes: z.string().max(5000).optional(),
  /** Opens a ticket for the follow-up, linked to the call and its recordings. */
  ticket: TicketInput.partial({ subject: true }).optional(),
});

/** An agent's disposition of a call, optionally opening a ticket. */
const disposition: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/:id/disposition',
    {
      config: { roles: [Role.Admin, Role.Supervisor, Role.Agent] },
      schema: {
        tags: ['calls'],
        params: z.object({ id: z.string().min(1).max(200) }),
        body: Body,
        response: {
          201: z.object({ callId: z.string(), disposition: z.string(), ticketId: z.string().nullable() }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const { id } = request.params;
      // The tenant first: another tenant's call, or a workflow that is no call, is simply not found.
      const { handle } = await tenantCallOnly(app.temporal, id, tenantId);
      const status = (await handle.query(callStatusQuery)) as CallStatus & Pick<FlowCallStatus, 'queue'>;
      assertOnCall(request.principal, status);
      let ticketId: string | null = null;
      if (request.body.ticket) {
        const { rows } = await app.pg.query<{ id: string }>(
          'select id from recordings where tenant_id = $1 and call_id = $2',
          [tenantId, id],
        );
        const t = request.body.ticket;
        const fields: TicketFields = {
          subject: t.subject ?? `Follow-up of call from ${status.from}`,
          description: [t.description, request.body.notes].filter(Boolean).join('\n\n'),
          requester: { number: status.from, ...t.requester },
          priority: t.priority ?? 'normal',
          queue: t.queue,
          assignee: t.assignee,
          tags: t.tags ?? [],
          custom: { ...t.custom, disposition: request.body.disposition },
          calls: [id, ...(t.calls ?? [])],
          recordings: [...rows.map((r) => r.id), ...(t.recordings ?? [])],
        };
        ticketId = (await openTicket(app, tenantId, fields, `key:${keyId}`, 'body.ticket')).ticketId;
      }
      return reply.code(201).send({ callId: id, disposition: request.body.disposition, ticketId });
    },
  );
};

export default disposition;
