import type { Pool } from '../lib/db';
import type { TicketPolicy, TicketSnapshot } from '../domain/ticket/model';
import { policyOf } from '../domain/ticket/settings';

/** Tickets' PostgreSQL side: the listing projection and the tenant's settings. */
export function createTicketActivities(pool: Pool) {
  return {
    /** Upserts the listing row; an older version never overwrites a newer one (retries, reordering). */
    async project(t: TicketSnapshot): Promise<void> {
      const f = t.fields;
      await pool.query(
        `insert into tickets (id, tenant_id, subject, description, status, priority, assignee, queue, tags, requester,
                              calls, recordings, sla_breached, created_at, updated_at, version)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         on conflict (id) do update set
           subject = excluded.subject, description = excluded.description, status = excluded.status,
           priority = excluded.priority, assignee = excluded.assignee, queue = excluded.queue, tags = excluded.tags,
           requester = excluded.requester, calls = excluded.calls, recordings = excluded.recordings,
           sla_breached = excluded.sla_breached, updated_at = excluded.updated_at, version = excluded.version
         where tickets.version < excluded.version`,
        [
          t.ticketId,
          t.tenantId,
          f.subject,
          f.description,
          t.status,
          f.priority,
          f.assignee ?? null,
          f.queue ?? null,
          f.tags,
          f.requester,
          f.calls,
          f.recordings,
          t.sla.some((c) => c.state === 'breached'),
          t.createdAt,
          t.updatedAt,
          t.version,
        ],
      );
    },

    /** Stores a comment's body under the id the workflow chose: a retry writes nothing more. */
    async saveComment(c: {
      commentId: string;
      ticketId: string;
      tenantId: string;
      body: string;
      public: boolean;
      by: string;
    }): Promise<void> {
      await pool.query(
        `insert into ticket_comments (id, ticket_id, tenant_id, body, public, author)
         values ($1, $2, $3, $4, $5, $6) on conflict (id) do nothing`,
        [c.commentId, c.ticketId, c.tenantId, c.body, c.public, c.by],
      );
    },

    /** The tenant's ticket rules now: a new ticket keeps them for its life. */
    async policyFor({ tenantId }: { tenantId: string }): Promise<TicketPolicy> {
      const { rows } = await pool.query<{ ticket_settings: unknown }>(
        'select ticket_settings from tenants where id = $1',
        [tenantId],
      );
      return policyOf(rows[0]?.ticket_settings);
    },
  };
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
