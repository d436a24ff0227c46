import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';

/**
 * Requests per minute per API key (per address before a key is known), by @fastify/rate-limit: one
 * client's loop cannot take the gateway from everyone else. Past the limit: 429 with Retry-After.
 * Counted in this process (several gateways each count their own).
 */
export default fp<{ perMinute: number }>(async (app, { perMinute }) => {
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    // After authentication, so the key is what is counted.
    hook: 'preHandler',
    keyGenerator: (request) => request.principal?.keyId ?? request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `more than ${context.max} requests a minute from this key; retry after ${context.after}`,
    }),
  });
});
