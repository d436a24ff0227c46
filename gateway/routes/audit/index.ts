import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { IdCursor } from '../../cursors';
import { Instant, utcOrUndefined } from '../../instants';
import { ErrorBody } from '../../plugins/error-handler';
import { listAudit } from './store';

const Name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z_.]+$/, 'letters, _ and .');
const AuditEntry = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.object({ keyId: z.string(), role: z.string() }),
    action: z.string().describe('<resource>.<verb>, e.g. queue.updated (lib/audit/actions.ts)'),
    resource: z.object({ type: z.string(), id: z.string().nullable() }),
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    changes: z
      .record(z.string(), z.unknown())
      .describe(
        '{ field: { before, after } } of the changed fields (secrets ***); { params, body } of an action',
      ),
  })
  .meta({ id: 'AuditEntry' });

/**
 * `GET /v1/audit`: the tenant's audit log, newest first, filtered and cursor-paged. Admins and supervisors:
 * it names keys and shows what changed. The platform operator's own entries are under its own tenant.
 */
const audit: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { roles: [Role.Admin, Role.Supervisor, Role.Operator] },
      schema: {
        tags: ['audit'],
        summary: 'Configuration changes and supervisor actions: who, when, what, before and after',
        querystring: z.object({
          action: Name.optional(),
          resourceType: Name.optional(),
          resourceId: z.string().min(1).max(200).optional(),
          actorKeyId: z.string().min(1).max(100).optional(),
          since: Instant.optional(),
          until: Instant.optional(),
          /** nextCursor of the previous page. */
          cursor: IdCursor.optional(),
          /** @default 100 */
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: {
          200: z.object({ entries: z.array(AuditEntry), nextCursor: z.string().nullable() }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request) => {
      const { cursor, since, until, ...filter } = request.query;
      const rows = await listAudit(app.pg, request.principal.tenantId, {
        ...filter,
        since: utcOrUndefined(since),
        until: utcOrUndefined(until),
        before: cursor,
      });
      return {
        entries: rows.map((r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actor: { keyId: r.actor_key_id, role: r.actor_role },
          action: r.action,
          resource: { type: r.resource_type, id: r.resource_id },
          method: r.method,
          path: r.path,
          status: r.status,
          changes: r.changes,
        })),
        nextCursor: rows.length === filter.limit ? rows.at(-1)!.id : null,
      };
    },
  );
};

export default audit;
