import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../../lib/api-keys';
import { ErrorBody } from '../../plugins/error-handler';

const Me = z
  .object({
    keyId: z.string(),
    tenantId: z.string(),
    role: z.enum(ROLES),
    agentId: z.string().nullable().describe('For agent keys: the agent the key acts as'),
    temporalUiUrl: z.string().describe("Base URL of the Temporal Web UI for this tenant's workflows"),
  })
  .meta({ id: 'Me' });

/** Who the key is: the web UI signs in with a key and shapes its navigation by the role. */
const me: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { roles: ROLES },
      schema: {
        tags: ['tenant'],
        summary: 'The calling API key: tenant, role and agent',
        response: { 200: Me, 401: ErrorBody },
      },
    },
    async (request) => ({
      keyId: request.principal.keyId,
      tenantId: request.principal.tenantId,
      role: request.principal.role,
      agentId: request.principal.agentId ?? null,
      temporalUiUrl: `http://${app.config.API_HOST}:${app.config.TEMPORAL_UI_PORT}/namespaces/${app.config.TEMPORAL_NAMESPACE}`,
    }),
  );
};

export default me;
