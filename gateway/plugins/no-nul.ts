import fp from 'fastify-plugin';
import { InvalidFieldError } from '../errors';

/** The first place in a parsed JSON value whose text (a key or a string) holds a NUL, as a field path. */
function nulAt(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  // Parsed JSON only: a streamed body (a CSV upload's request stream) is not walked.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (key.includes('\u0000')) return at;
    const found = nulAt(item, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * PostgreSQL's text and jsonb cannot hold U+0000: a body or query that carries one is refused up front,
 * naming the field, rather than failing (500) or, worse, later in a workflow that already accepted it.
 */
export default fp(async (app) => {
  app.addHook('preValidation', async (request) => {
    const at =
      nulAt(request.body, 'body') ?? nulAt(request.query, 'querystring') ?? nulAt(request.params, 'params');
    if (at) throw new InvalidFieldError(at, 'contains a NUL character (\\u0000), which cannot be stored');
  });
});
