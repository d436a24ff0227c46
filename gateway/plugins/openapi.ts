import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type TransformArgs = Parameters<typeof jsonSchemaTransform>[0] & {
  route?: { config?: { roles?: readonly string[] } };
};

/**
 * The roles a route allows are part of its contract: each operation carries them as `x-roles` (programs,
 * and the tenant matrix test, read them there) and says them in its description (people read that).
 */
function withRoles(args: TransformArgs): ReturnType<typeof jsonSchemaTransform> {
  const result = jsonSchemaTransform(args);
  const roles = args.route?.config?.roles;
  if (!roles) return result;
  const schema = result.schema as Record<string, unknown>;
  const sentence = `Roles: ${roles.join(', ')}.`;
  const description =
    typeof schema.description === 'string' ? `${schema.description}\n\n${sentence}` : sentence;
  const documented: Record<string, unknown> = { ...schema, description, 'x-roles': [...roles] };
  return { ...result, schema: documented };
}

/** The OpenAPI document is generated from the routes' zod schemas: /openapi.json, browsable at /docs. */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CTICloud API',
        version: '0.1.0',
        description:
          'Calls, flows, queues and more; every /v1 route needs `Authorization: Bearer <api key>`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: withRoles,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
