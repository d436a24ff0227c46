import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';

const NumberAssignment = z
  .object({
    id: z.string().uuid(),
    number: z.string(),
    flowId: z.string().uuid(),
    createdAt: z.string(),
  })
  .meta({ id: 'NumberAssignment' });

const NumberInput = z.object({
  /** As it is dialed into Asterisk's inbound context: a DID or an extension. */
  number: z.string().regex(/^\+?[0-9*#]{1,32}$/, 'digits, * or #, optionally with a leading +'),
  flowId: z.string().uuid(),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Dialed numbers → flows, per tenant. A number belongs to one tenant: it is unique across all of them. */
const numbers: FastifyPluginAsyncZod = async (app) => {
  const toAssignment = (r: { id: string; number: string; flow_id: string; created_at: Date }) => ({
    id: r.id,
    number: r.number,
    flowId: r.flow_id,
    createdAt: r.created_at.toISOString(),
  });

  app.get(
    '/',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: {
        tags: ['numbers'],
        response: { 200: z.object({ numbers: z.array(NumberAssignment) }), ...errors },
      },
    },
    async (request) => {
      const { rows } = await app.pg.query(
        'select id, number, flow_id, created_at from numbers where tenant_id = $1 order by number',
        [request.principal.tenantId],
      );
      return { numbers: rows.map(toAssignment) };
    },
  );

  app.post(
    '/',
    {
      config: { roles: [Role.Admin, Role.Developer] },
      schema: {
        tags: ['numbers'],
        summary: 'Send calls to a number into a flow',
        body: NumberInput,
        response: { 201: NumberAssignment, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const flow = await app.pg.query(
        'select 1 from flows where tenant_id = $1 and id = $2 and deleted_at is null',
        [tenantId, request.body.flowId],
      );
      if (!flow.rowCount) throw new InvalidFieldError('body.flowId', `no flow ${request.body.flowId}`);
      try {
        const { rows } = await app.pg.query(
          'insert into numbers (tenant_id, number, flow_id) values ($1, $2, $3) returning id, number, flow_id, created_at',
          [tenantId, request.body.number, request.body.flowId],
        );
        return reply.code(201).send(toAssignment(rows[0]));
      } catch (err) {
        if ((err as { code?: string }).code === '23505')
          throw new ConflictError(`number ${request.body.number} is assigned already`);
        throw err;
      }
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
      const { rowCount } = await app.pg.query('delete from numbers where tenant_id = $1 and id = $2', [
        request.principal.tenantId,
        request.params.id,
      ]);
      if (!rowCount) throw new NotFoundError('number', request.params.id);
      return reply.code(204).send(null);
    },
  );
};

export default numbers;
