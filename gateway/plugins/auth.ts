import fp from 'fastify-plugin';
import { findApiKey, findApiKeyById, type ApiPrincipal, type Role } from '../../lib/api-keys';
import { STREAM_TOKEN_TTL_MS, createStreamTokens, type StreamTokens } from '../../lib/events/stream-tokens';
import { ForbiddenError, UnauthorizedError } from '../errors';

declare module 'fastify' {
  interface FastifyInstance {
    /** Short-lived tokens for clients that cannot send headers (EventSource); see lib/events/stream-tokens. */
    streamTokens: StreamTokens;
  }
  interface FastifyRequest {
    principal: ApiPrincipal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; every /v1 route must name them. */
    roles?: readonly Role[];
    /**
     * Also accept `?access_token=<stream token>` instead of the Authorization header. Only for routes a
     * browser opens with EventSource: a token in a URL is logged along the way, so it is short-lived.
     */
    streamToken?: boolean;
  }
}

/** Hashing and looking up a key on every request is wasted work; a revoked key lives on for this long. */
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

/**
 * Every route in the scope this plugin is registered in needs `Authorization: Bearer <key>` of a key whose
 * role the route allows. Register it inside the /v1 scope: the hook then belongs to the matched routes, so
 * no spelling of the path (`/%761/calls` is `/v1/calls` to the router) gets around it, and it runs on
 * request, before validation, so a caller without a key learns nothing about the route's schema.
 */
export default fp(async (app) => {
  const cache = new Map<string, { principal: ApiPrincipal | undefined; until: number }>();

  const lookup = async (key: string): Promise<ApiPrincipal | undefined> => {
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.principal;
    const principal = await findApiKey(app.pg, key);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, { principal, until: Date.now() + CACHE_TTL_MS });
    return principal;
  };

  const fromStreamToken = async (token: string): Promise<ApiPrincipal> => {
    const grant = await app.streamTokens.redeem(token);
    if (!grant)
      throw new UnauthorizedError(
        'invalid or expired access_token: mint one with POST /v1/events/token (API keys do not go in URLs)',
      );
    const principal = await findApiKeyById(app.pg, grant.keyId);
    if (!principal) throw new UnauthorizedError('the API key this access_token was minted with is revoked');
    return principal;
  };

  app.decorate(
    'streamTokens',
    createStreamTokens(app.nats, STREAM_TOKEN_TTL_MS, app.config.STREAM_TOKEN_SECRET),
  );
  app.decorateRequest('principal', null as unknown as ApiPrincipal);
  app.addHook('onRequest', async (request) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const token = (request.query as { access_token?: unknown } | undefined)?.access_token;
    let principal: ApiPrincipal | undefined;
    if (match) {
      principal = await lookup(match[1]!);
      if (!principal) throw new UnauthorizedError('invalid or revoked API key');
    } else if (typeof token === 'string' && request.routeOptions.config.streamToken && !request.is404) {
      principal = await fromStreamToken(token);
    } else throw new UnauthorizedError();
    request.principal = principal;
    if (request.is404) return;
    const roles = request.routeOptions.config.roles;
    if (!roles) throw new ForbiddenError(principal.role, []);
    if (!roles.includes(principal.role)) throw new ForbiddenError(principal.role, roles);
  });
});
