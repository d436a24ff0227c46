import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidFieldError, RequestTimeoutError, TooManyRequestsError } from '../errors';

export const ErrorBody = z
  .object({
    statusCode: z.number().int(),
    error: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  405: 'Method Not Allowed',
  409: 'Conflict',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** PostgreSQL's data errors that mean the input was wrong (SQLSTATE class 22), with what to tell the client. */
const PG_INPUT_ERRORS: Record<string, string> = {
  '22P05': 'the text holds a character that cannot be stored (e.g. \\u0000)',
  '22021': 'the text holds a character that cannot be stored',
  '22003': 'a number is out of range',
  '22P02': 'a value has the wrong form',
  '22007': 'a date or time has the wrong form',
  '22008': 'a date or time is out of range',
  '54000': 'a value is too large to store',
};

/**
 * Temporal or another dependency not answering in time, or a namespace moving between clusters: 503, try
 * again. During a failover the frontend can answer NamespaceNotActive (FAILED_PRECONDITION, "… is a standby
 * cluster") until its namespace cache sees the new active cluster, and a query "no poller seen for task
 * queue recently" until the workers' polls reach the new cluster, each about a second (issue #15: a
 * failover is not an outage). The same query answer while a worker restarts is also worth a retry. A query
 * while the workflow's task is being retried is the server's WorkflowNotReady ("… Workflow Task in failed
 * state"): seen right after a forced failover, when the first tasks on the new cluster can fail once.
 */
function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: number; cause?: { code?: number; message?: string } };
  // gRPC 4 = DEADLINE_EXCEEDED, 9 = FAILED_PRECONDITION, 14 = UNAVAILABLE.
  const code = e.code ?? e.cause?.code;
  // The client's ServiceError says what it tried; the gRPC error under it says what the server answered.
  const text = `${String(err)} ${e.cause?.message ?? ''}`;
  return (
    e.name === 'ServiceError' &&
    (code === 4 ||
      code === 14 ||
      /DEADLINE_EXCEEDED|UNAVAILABLE/.test(text) ||
      ((code === 9 || /FAILED_PRECONDITION/.test(text)) &&
        /is a standby cluster|NamespaceNotActive|no poller seen|Workflow Task in failed state|Workflow task is not scheduled yet/i.test(
          text,
        )))
  );
}

/** What a client waiting out a failover or a restart is told to wait, in seconds. @default 1 */
const RETRY_AFTER_UNAVAILABLE_SEC = 1;

/** One place decides what an error looks like: zod → 400 naming fields, ours → their status, the rest → 500. */
export default fp(async (app) => {
  app.setErrorHandler((err, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const fields = err.validation.map((v) => ({
        field: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }));
      return reply.code(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message: fields.map((f) => `${f.field}: ${f.message}`).join('; '),
        fields,
      });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500 && !isResponseSerializationError(err)) {
      const field =
        err instanceof InvalidFieldError ? { fields: [{ field: err.field, message: err.reason }] } : {};
      if (err instanceof TooManyRequestsError) reply.header('retry-after', String(err.retryAfterSec));
      // What is left of a stalled upload is not worth reading: the connection goes with the answer.
      if (err instanceof RequestTimeoutError) reply.header('connection', 'close');
      return reply.code(status).send({
        statusCode: status,
        error: reasons[status] ?? 'Error',
        message: (err as Error).message,
        ...field,
      });
    }
    // PostgreSQL refusing a value the schemas let through (a NUL in text, a number past its column):
    // the request is wrong, not the service. The schemas should catch it first; this is the net under them.
    const pgCode = (err as { code?: unknown }).code;
    if (typeof pgCode === 'string' && PG_INPUT_ERRORS[pgCode]) {
      request.log.warn({ err }, 'input refused by PostgreSQL');
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: PG_INPUT_ERRORS[pgCode] });
    }
    request.log.error({ err }, 'request failed');
    const code = status === 503 || isUnavailable(err) ? 503 : 500;
    if (code === 503) reply.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_SEC));
    return reply.code(code).send({
      statusCode: code,
      error: code === 503 ? 'Service Unavailable' : 'Internal Server Error',
      message: code === 503 ? 'a dependency is unavailable; try again' : 'internal error; it has been logged',
    });
  });
  // Which methods each path takes, to answer 405 with Allow (not 404) for a method the path does not take.
  const routes: { pattern: RegExp; method: string; fixed: boolean }[] = [];
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(
      `^${route.url
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/:[^/]+/g, '[^/]+')
        .replace(/\*/g, '.*')}/?$`,
    );
    const fixed = !/[:*]/.test(route.url);
    for (const method of [route.method].flat()) routes.push({ pattern, method, fixed });
  });
  // The router lets a path parameter be empty (`DELETE /v1/dnc/` reaches `/v1/dnc/:phone`): no resource
  // has an empty id, so such a request is for the collection's path, answered as an unknown route.
  // Likewise a fixed path that another method reaches only through a parameter route beside it
  // (`GET /recordings/tts-preview` reaching `GET /recordings/:id`): that path has its own methods.
  app.addHook('preValidation', async (request, reply) => {
    const params = request.params as Record<string, unknown> | undefined;
    // The not-found handler's own request (params `*`) is already where this would send it.
    if (request.is404 || !params || !Object.keys(params).length) return;
    const path = request.url.split('?')[0]!;
    const shadowed = routes.some((r) => r.fixed && r.pattern.test(path));
    if (shadowed || Object.values(params).some((v) => v === '')) return reply.callNotFound();
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const matching = routes.filter((r) => r.pattern.test(path));
    // A path that is a route of its own (`/recordings/tts-preview`) takes only its own methods, not those
    // of the parameter route beside it (`/recordings/:id`).
    const own = matching.some((r) => r.fixed) ? matching.filter((r) => r.fixed) : matching;
    const allowed = [...new Set(own.map((r) => r.method))];
    if (allowed.length) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({
          statusCode: 405,
          error: 'Method Not Allowed',
          message: `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
        });
    }
    return reply
      .code(404)
      .send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url}` });
  });
});
