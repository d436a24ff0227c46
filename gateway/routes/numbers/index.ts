import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { createNumberStore, NumberWriteResult } from './store';

export const NumberAssignment = z
  .object({
    id: z.string().uuid(),
    number: z.string(),
    flowId: z.string().uuid(),
    createdAt: z.string(),
  })
  .meta({ id: 'NumberAssignment' });

export const ProvisionedNumber = z
  .object({
    number: z.string(),
    tenantId: z.string(),
    flowId: z.string().uuid().nullable().describe('the flow the tenant sends it to; null while unrouted'),
    provisionedAt: z.string(),
  })
  .meta({ id: 'ProvisionedNumber' });

/** As it is dialed into Asterisk's inbound context: a DID or an extension. */
export const DialedNumber = z
  .string()
  .regex(/^\+?[0-9*#]{1,32}$/, 'digits, * or #, optionally with a leading +');

const NumberInput = z.object({ number: DialedNumber, flowId: z.string().uuid() });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/**
 * Dialed numbers → flows, per tenant. The platform operator provisions numbers to a tenant (/v1/platform);
 * the tenant sends those, and only those, to its flows.
 */
const numbers: FastifyPluginAsyncZod = async (app) => {
  const store = createNumberStore(app.pg);

  app.get(
    '/',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: {
        tags: ['numbers'],
        response: { 200: z.object({ numbers: z.array(NumberAssignment) }), ...errors },
      },
    },
    async (request) => ({ numbers: await store.routes(request.principal.tenantId) }),
  );

  app.get(
    '/provisioned',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: {
        tags: ['numbers'],
        summary: 'The numbers the platform operator provisioned to this tenant, routed or not',
        response: { 200: z.object({ numbers: z.array(ProvisionedNumber) }), ...errors },
      },
    },
    async (request) => ({ numbers: await store.provisioned(request.principal.tenantId) }),
  );

  app.post(
    '/',
    {
      config: { roles: [Role.Admin, Role.Developer] },
      schema: {
        tags: ['numbers'],
        summary: 'Send calls to a number into a flow',
        description: 'The number must be provisioned to this tenant (GET /v1/numbers/provisioned).',
        body: NumberInput,
        response: { 201: NumberAssignment, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const { number, flowId } = request.body;
      const flow = await app.pg.query(
        'select 1 from flows where tenant_id = $1 and id = $2 and deleted_at is null',
        [tenantId, flowId],
      );
      if (!flow.rowCount) throw new InvalidFieldError('body.flowId', `no flow ${flowId}`);
      const result = await store.route(tenantId, number, flowId);
      if (result === NumberWriteResult.NotProvisioned)
        throw new InvalidFieldError(
          'body.number',
          `${number} is not provisioned to this tenant: the platform operator provisions numbers`,
        );
      if (result === NumberWriteResult.Routed)
        throw new ConflictError(`number ${number} is sent to a flow already: delete that first`);
      return reply.code(201).send(result);
    },
  );

  app.delete(
    '/:id',
    {
      config: { roles: [Role.Admin, Role.Developer] },
      schema: {
        tags: ['numbers'],
        params: z.object({ id: z.string().uuid() }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      if (!(await store.unroute(request.principal.tenantId, request.params.id)))
        throw new NotFoundError('number', request.params.id);
      return reply.code(204).send(null);
    },
  );
};

export default numbers;
