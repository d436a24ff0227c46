import type { Pool } from '../../../lib/db';
import type { TicketSnapshot } from '../../../domain/ticket/model';

/**
 * Fills in the bodies of comments the ticket's workflow names by id (stored in `ticket_comments`, out of the
 * workflow's history); a ticket's older comments carry their body in the timeline already.
 */
export async function withCommentBodies(pool: Pool, ticket: TicketSnapshot): Promise<TicketSnapshot> {
  const ids = ticket.timeline.flatMap((e) =>
    e.kind === 'comment' && typeof e.detail.commentId === 'string' ? [e.detail.commentId] : [],
  );
  if (!ids.length) return ticket;
  const { rows } = await pool.query<{ id: string; body: string }>(
    'select id, body from ticket_comments where ticket_id = $1 and id = any($2::uuid[])',
    [ticket.ticketId, ids],
  );
  const bodies = new Map(rows.map((r) => [r.id, r.body]));
  return {
    ...ticket,
    timeline: ticket.timeline.map((e) =>
      e.kind === 'comment' && typeof e.detail.commentId === 'string'
        ? { ...e, detail: { body: bodies.get(e.detail.commentId) ?? '', ...e.detail } }
        : e,
    ),
  };
}
