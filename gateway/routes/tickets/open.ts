import type { FastifyInstance } from 'fastify';
import { TypedSearchAttributes } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { CallSearchAttributes } from '../../../workflows/call/contract';
import { ticketQuery, ticketWorkflowId } from '../../../workflows/ticket/contract';
import type { TicketFields, TicketSnapshot } from '../../../domain/ticket/model';
import { policyOf } from '../../../domain/ticket/settings';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { tenantCall } from '../calls/lookup';

/**
 * The calls and recordings a ticket links must be the tenant's own: another tenant's answers exactly like
 * one that does not exist, so a ticket can neither point into another tenant nor probe its ids.
 */
async function assertOwnLinks(app: FastifyInstance, tenantId: string, fields: TicketFields, at: string) {
  const recordings = [...new Set(fields.recordings)];
  if (recordings.length) {
    const { rows } = await app.pg.query<{ id: string }>(
      'select id from recordings where tenant_id = $1 and id = any($2::uuid[])',
      [tenantId, recordings],
    );
    const found = new Set(rows.map((r) => r.id));
    const missing = recordings.find((id) => !found.has(id));
    if (missing) throw new InvalidFieldError(`${at}.recordings`, `no recording ${missing}`);
  }
  for (const callId of new Set(fields.calls)) {
    try {
      await tenantCall(app.temporal, callId, tenantId);
    } catch (err) {
      if (err instanceof NotFoundError) throw new InvalidFieldError(`${at}.calls`, `no call ${callId}`);
      throw err;
    }
  }
}

/** Starts a ticket's workflow under the tenant's current rules (the ticket keeps them for its life). */
export async function openTicket(
  app: FastifyInstance,
  tenantId: string,
  fields: TicketFields,
  by: string,
  /** Where the fields were in the request, for errors that name them. @default 'body' */
  at = 'body',
): Promise<TicketSnapshot> {
  await assertOwnLinks(app, tenantId, fields, at);
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
