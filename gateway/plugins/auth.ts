import fp from 'fastify-plugin';
import { findApiKey, type ApiPrincipal, type Role } from '../../lib/api-keys';
import { ForbiddenError, UnauthorizedError } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiPrincipal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; every /v1 route must name them. */
    roles?: readonly Role[];
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

  app.decorateRequest('principal', null as unknown as ApiPrincipal);
  app.addHook('onRequest', async (request) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new UnauthorizedError();
    const principal = await lookup(match[1]!);
    if (!principal) throw new UnauthorizedError('invalid or revoked API key');
    request.principal = principal;
    if (request.is404) return;
    const roles = request.routeOptions.config.roles;
    if (!roles) throw new ForbiddenError(principal.role, []);
    if (!roles.includes(principal.role)) throw new ForbiddenError(principal.role, roles);
  });
});
