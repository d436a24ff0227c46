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
  409: 'Conflict',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

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
    request.log.error({ err }, 'request failed');
    const code = status === 503 ? 503 : 500;
    return reply.code(code).send({
      statusCode: code,
      error: code === 503 ? 'Service Unavailable' : 'Internal Server Error',
      message: code === 503 ? 'a dependency is unavailable; try again' : 'internal error; it has been logged',
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url}` }),
  );
});
