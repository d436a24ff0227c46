import type { FastifyInstance } from 'fastify';
import { TypedSearchAttributes } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { CallSearchAttributes } from '../../../workflows/call/contract';
import { ticketQuery, ticketWorkflowId } from '../../../workflows/ticket/contract';
import type { TicketFields, TicketSnapshot } from '../../../domain/ticket/model';
import { policyOf } from '../../../domain/ticket/settings';

/** Starts a ticket's workflow under the tenant's current rules (the ticket keeps them for its life). */
export async function openTicket(
  app: FastifyInstance,
  tenantId: string,
  fields: TicketFields,
  by: string,
): Promise<TicketSnapshot> {
  const { rows } = await app.pg.query<{ ticket_settings: unknown }>(
    'select ticket_settings from tenants where id = $1',
    [tenantId],
  );
  const ticketId = randomUUID();
  const handle = await app.temporal.workflow.start('TicketWorkflow', {
    workflowId: ticketWorkflowId(ticketId),
    taskQueue: app.config.TEMPORAL_TASK_QUEUE,
    args: [
      {
        ticketId,
        tenantId,
        fields,
        policy: policyOf(rows[0]?.ticket_settings),
        createdAt: new Date().toISOString(),
        createdBy: by,
      },
    ],
    typedSearchAttributes: new TypedSearchAttributes([{ key: CallSearchAttributes.tenant, value: tenantId }]),
  });
  return handle.query(ticketQuery);
}
