import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AUDITED, changedFields, masked, routeKey, type AuditedAction } from '../../lib/audit/actions';
import { appendAudit } from '../routes/audit/store';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A response body larger than this is not kept as a creation's "after". @default 65536 */
const MAX_BODY = 65_536;

interface AuditState {
  action: AuditedAction;
  before?: Record<string, unknown>;
  created?: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit?: AuditState;
  }
  interface FastifyInstance {
    /** Every mutating route of the API, `METHOD /pattern`: what the audit classification must cover. */
    mutatingRoutes: string[];
  }
  // (decorated by buildGateway on the root instance, filled by this plugin's onRoute hook)
}

/**
 * The audit log (issue #19): after a successful request of a route lib/audit/actions.ts names, one row with
 * who (the key and its role), when, the action, and the changed fields before and after, secrets masked. A
 * resource's "before" and "after" are its own GET, read with the caller's key just before the handler and
 * just after the response (a creation's "after" is its response); an action (a hang-up, a failover) records
 * its parameters and body. Written after the answer is sent, so it never slows the request; a write that
 * fails is logged at error level (the change itself is kept).
 */
export default fp<{ routes: string[] }>(async (app, { routes }) => {
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (MUTATING.has(method)) routes.push(routeKey(method, route.url));
    }
  });

  /** The resource at this request's URL, as its GET answers the same caller; undefined without one. */
  const view = async (request: FastifyRequest): Promise<Record<string, unknown> | undefined> => {
    const pattern = request.routeOptions.url;
    if (!pattern || !app.hasRoute({ method: 'GET', url: pattern })) return undefined;
    const res = await app.inject({
      method: 'GET',
      url: request.url,
      headers: { authorization: request.headers.authorization ?? '' },
    });
    if (res.statusCode !== 200) return undefined;
    try {
      return res.json<Record<string, unknown>>();
    } catch {
      return undefined;
    }
  };

  app.addHook('preHandler', async (request) => {
    const pattern = request.routeOptions.url;
    if (!pattern || !MUTATING.has(request.method) || !request.principal) return;
    const action = AUDITED[routeKey(request.method, pattern)];
    if (!action) return;
    request.audit = { action };
    if (request.method !== 'POST') request.audit.before = await view(request);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (
      request.audit &&
      request.method === 'POST' &&
      reply.statusCode === 201 &&
      typeof payload === 'string'
    ) {
      if (payload.length <= MAX_BODY && /json/.test(String(reply.getHeader('content-type')))) {
        try {
          const body: unknown = JSON.parse(payload);
          if (body && typeof body === 'object' && !Array.isArray(body))
            request.audit.created = body as Record<string, unknown>;
        } catch {
          // not JSON after all: the action's parameters stand for it
        }
      }
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const state = request.audit;
    if (!state || reply.statusCode >= 300) return;
    try {
      const after = request.method === 'DELETE' ? undefined : (state.created ?? (await view(request)));
      const params = (request.params ?? {}) as Record<string, unknown>;
      const resourceId =
        (Object.values(params)[0] as string | undefined) ??
        ((state.created?.id ?? state.created?.number) as string | undefined) ??
        null;
      const changes =
        state.before || after
          ? changedFields(state.before, after)
          : { params: masked(params), body: masked(request.body ?? null) };
      await appendAudit(app.pg, {
        tenantId: request.principal.tenantId,
        actorKeyId: request.principal.keyId,
        actorRole: request.principal.role,
        action: state.action.action,
        resourceType: state.action.resource,
        resourceId: resourceId === null ? null : String(resourceId),
        method: request.method,
        path: request.url.split('?')[0]!,
        status: reply.statusCode,
        changes,
        requestId: request.id,
      });
    } catch (err) {
      request.log.error({ err, action: state.action.action }, 'audit entry not written');
    }
  });
});
