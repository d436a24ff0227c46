import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { DialedNumber, ProvisionedNumber } from '../numbers';
import { createNumberStore, NumberWriteResult } from '../numbers/store';
import { createTenantStore } from './store';

const Tenant = z
  .object({ id: z.string(), name: z.string(), createdAt: z.string() })
  .meta({ id: 'PlatformTenant' });
const TenantId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'lowercase letters, digits and dashes, starting with a letter or digit',
  );

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
/** Only the platform operator: tenant admins never see other tenants. */
const operator = [Role.Operator] as const;

/**
 * The platform operator's API: tenants, and the numbers of the platform's trunks provisioned to them. It
 * reads nothing of a tenant's own data (flows, calls, recordings): no tenant route allows the operator role.
 */
const platform: FastifyPluginAsyncZod = async (app) => {
  const tenants = createTenantStore(app.pg);
  const numbers = createNumberStore(app.pg);

  app.get(
    '/tenants',
    {
      config: { roles: operator },
      schema: { tags: ['platform'], response: { 200: z.object({ tenants: z.array(Tenant) }), ...errors } },
    },
    async () => ({ tenants: await tenants.list() }),
  );

  app.post(
    '/tenants',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: 'Create a tenant and its first admin key',
        description: 'The key is in this answer only: only its hash is kept.',
        body: z.object({ id: TenantId, name: z.string().trim().min(1).max(200) }),
        response: { 201: z.object({ tenant: Tenant, adminKey: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      const created = await tenants.create(request.body.id, request.body.name);
      if (!created) throw new ConflictError(`tenant ${request.body.id} exists already`);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/numbers',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        querystring: z.object({ tenantId: TenantId.optional() }),
        response: { 200: z.object({ numbers: z.array(ProvisionedNumber) }), ...errors },
      },
    },
    async (request) => ({ numbers: await numbers.provisioned(request.query.tenantId) }),
  );

  app.post(
    '/numbers',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: 'Provision a number to a tenant',
        body: z.object({ number: DialedNumber, tenantId: TenantId }),
        response: { 201: ProvisionedNumber, ...errors },
      },
    },
    async (request, reply) => {
      const result = await numbers.provision(request.body.number, request.body.tenantId);
      if (result === 'no_tenant')
        throw new InvalidFieldError('body.tenantId', `no tenant ${request.body.tenantId}`);
      if (result === NumberWriteResult.Taken)
        throw new ConflictError(`number ${request.body.number} is provisioned already: release it first`);
      return reply.code(201).send(result);
    },
  );

  app.delete(
    '/numbers/:number',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: 'Take a number back from its tenant',
        description: 'Refused (409) while the tenant still sends it to a flow.',
        params: z.object({ number: DialedNumber }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const result = await numbers.release(request.params.number);
      if (result === NumberWriteResult.Routed)
        throw new ConflictError(
          `number ${request.params.number} is sent to a flow: the tenant must remove that first`,
        );
      if (!result) throw new NotFoundError('number', request.params.number);
      return reply.code(204).send(null);
    },
  );
};

export default platform;
