import { WorkflowNotFoundError, type WorkflowExecutionInfo } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { CallSearchAttributes, callStatusQuery, type CallStatus } from '../../../workflows/call/contract';
import { NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { withLive } from './live-list';
import { CallDetail, CallId, CallSummary, ListCallsQuery } from './schemas';

const readers = [Role.Admin, Role.Supervisor, Role.Developer] as const;

const attr = (
  info: Pick<WorkflowExecutionInfo, 'typedSearchAttributes'>,
  key: { name: string },
): string | null => {
  const value = info.typedSearchAttributes.get(key as typeof CallSearchAttributes.state);
  return typeof value === 'string' ? value : null;
};

const toSummary = (info: WorkflowExecutionInfo): z.infer<typeof CallSummary> => ({
  id: info.workflowId,
  status: info.status.name.toLowerCase(),
  state: attr(info, CallSearchAttributes.state),
  from: attr(info, CallSearchAttributes.caller),
  to: attr(info, CallSearchAttributes.dialed),
  startedAt: info.startTime.toISOString(),
  closedAt: info.closeTime?.toISOString() ?? null,
});

/** Values reach the visibility query only after zod has restricted them to digits, + and enum members. */
function visibilityQuery(tenantId: string, q: z.infer<typeof ListCallsQuery>): string {
  const clauses = [`WorkflowType IN ('CallWorkflow', 'FlowCallWorkflow')`, `TenantId = '${tenantId}'`];
  if (q.status === 'active') clauses.push(`ExecutionStatus = 'Running'`);
  if (q.status === 'recent') clauses.push(`ExecutionStatus != 'Running'`);
  if (q.state) clauses.push(`CallState = '${q.state}'`);
  if (q.from) clauses.push(`CallerNumber = '${q.from}'`);
  if (q.to) clauses.push(`DialedNumber = '${q.to}'`);
  return clauses.join(' AND ');
}

const calls: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { roles: readers },
      schema: {
        tags: ['calls'],
        summary: 'Active and recent calls, newest first',
        querystring: ListCallsQuery,
        response: {
          200: z.object({ calls: z.array(CallSummary) }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request) => {
      const found: z.infer<typeof CallSummary>[] = [];
      const query = visibilityQuery(request.principal.tenantId, request.query);
      for await (const info of app.temporal.workflow.list({ query, pageSize: request.query.limit })) {
        found.push(toSummary(info));
        if (found.length >= request.query.limit) break;
      }
      return { calls: request.query.include === 'live' ? await withLive(app.temporal, found) : found };
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['calls'],
        summary: 'One call: live state from its workflow, and its CDR',
        params: z.object({ id: CallId }),
        response: { 200: CallDetail, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const handle = app.temporal.workflow.getHandle(id);
      let description;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new NotFoundError('call', id);
        throw err;
      }
      if (attr(description, CallSearchAttributes.tenant) !== request.principal.tenantId) {
        throw new NotFoundError('call', id);
      }
      const status = description.status.name.toLowerCase();
      let live: CallStatus | null = null;
      if (status === 'running') live = await handle.query(callStatusQuery);
      else if (status === 'completed') live = (await handle.result()) as CallStatus;
      const { rows } = await app.pg.query(
        `select from_number, to_number, started_at, answered_at, ended_at, duration_ms, disposition, ended_by, digits
           from cdrs where workflow_id = $1 and tenant_id = $2`,
        [id, request.principal.tenantId],
      );
      const row = rows[0];
      return {
        id,
        status,
        live,
        cdr: row
          ? {
              from: row.from_number,
              to: row.to_number,
              startedAt: row.started_at.toISOString(),
              answeredAt: row.answered_at?.toISOString() ?? null,
              endedAt: row.ended_at.toISOString(),
              durationMs: row.duration_ms,
              disposition: row.disposition,
              endedBy: row.ended_by,
              digits: row.digits,
            }
          : null,
        temporalUrl: `http://${app.config.API_HOST}:${app.config.TEMPORAL_UI_PORT}/namespaces/${app.config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(id)}`,
      };
    },
  );
};

export default calls;
