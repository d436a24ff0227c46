import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * For routes that read their body themselves (uploads): what the OpenAPI document says they accept,
     * since there is no zod body schema to generate it from.
     */
    rawBody?: { contentTypes: readonly string[]; schema: Record<string, unknown> };
  }
}

type TransformArgs = Parameters<typeof jsonSchemaTransform>[0] & {
  route?: {
    config?: { roles?: readonly string[]; rawBody?: { contentTypes: readonly string[]; schema: object } };
  };
};

/**
 * The roles a route allows are part of its contract: each operation carries them as `x-roles` (programs,
 * and the tenant matrix test, read them there) and says them in its description (people read that).
 * Upload routes get their documented request body here.
 */
function documented(args: TransformArgs): ReturnType<typeof jsonSchemaTransform> {
  const result = jsonSchemaTransform(args);
  const config = args.route?.config;
  const schema: Record<string, unknown> = { ...(result.schema as Record<string, unknown>) };
  if (config?.rawBody) {
    schema.body = config.rawBody.schema;
    schema.consumes = [...config.rawBody.contentTypes];
  }
  if (config?.roles) {
    const sentence = `Roles: ${config.roles.join(', ')}.`;
    schema.description =
      typeof schema.description === 'string' ? `${schema.description}\n\n${sentence}` : sentence;
    schema['x-roles'] = [...config.roles];
  }
  return { ...result, schema };
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
    transform: documented,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
