import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { Rollout } from '../../../domain/flow/rollout';
import { runnableOnCalls } from '../../../domain/flow/runnable';
import { validateFlow } from '../../../domain/flow/validate';
import { ErrorBody } from '../../plugins/error-handler';
import { definitionFor } from './redact';
import { Flow, FlowId, FlowInput, FlowSummary, FlowUpdate, FlowVersion, Problem } from './schemas';
import { FlowStore } from './store';

const readers = [Role.Admin, Role.Developer, Role.Supervisor] as const;
const editors = [Role.Admin, Role.Developer] as const;
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const ValidationReport = z
  .object({ valid: z.boolean(), problems: z.array(Problem) })
  .meta({ id: 'FlowValidation' });

const flows: FastifyPluginAsyncZod = async (app) => {
  const store = (tenantId: string) => new FlowStore(app.pg, tenantId);

  /** Validation needs the published flows this one may call, to find subflow recursion. */
  const check = async (tenantId: string, flowId: string, definition: unknown) => {
    const calls = await store(tenantId).publishedSubflowCalls();
    const recordings = await store(tenantId).recordingIds();
    const queues = await store(tenantId).queueIds();
    const problems = validateFlow(definition, {
      flowId,
      subflowsOf: (id) => calls.get(id),
      runnable: runnableOnCalls,
      references: {
        recordingExists: (id) => recordings.has(id),
        flowPublished: (id) => calls.has(id),
        queueExists: (id) => queues.has(id),
      },
    });
    return { valid: problems.length === 0, problems };
  };

  app.get(
    '/',
    {
      config: { roles: readers },
      schema: { tags: ['flows'], response: { 200: z.object({ flows: z.array(FlowSummary) }), ...errors } },
    },
    async (request) => ({ flows: await store(request.principal.tenantId).list() }),
  );

  app.post(
    '/',
    {
      config: { roles: editors },
      schema: {
        tags: ['flows'],
        summary: 'Create a flow with its draft',
        body: FlowInput,
        response: { 201: Flow, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await store(request.principal.tenantId).create(request.body)),
  );

  app.get(
    '/:id',
    {
      config: { roles: readers },
      schema: { tags: ['flows'], params: FlowId, response: { 200: Flow, ...errors } },
    },
    async (request) => {
      const flow = await store(request.principal.tenantId).get(request.params.id);
      return { ...flow, definition: definitionFor(request.principal.role, flow.definition) };
    },
  );

  app.put(
    '/:id',
    {
      config: { roles: editors },
      schema: {
        tags: ['flows'],
        summary: 'Replace the draft',
        params: FlowId,
        body: FlowUpdate,
        response: { 200: Flow, ...errors },
      },
    },
    async (request) => store(request.principal.tenantId).update(request.params.id, request.body),
  );

  app.delete(
    '/:id',
    {
      config: { roles: editors },
      schema: { tags: ['flows'], params: FlowId, response: { 204: z.null(), ...errors } },
    },
    async (request, reply) => {
      await store(request.principal.tenantId).remove(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/:id/validate',
    {
      config: { roles: readers },
      schema: {
        tags: ['flows'],
        summary: 'Every problem of the draft, with node and path',
        params: FlowId,
        response: { 200: ValidationReport, ...errors },
      },
    },
    async (request) => {
      const flow = await store(request.principal.tenantId).get(request.params.id);
      return check(request.principal.tenantId, flow.id, flow.definition);
    },
  );

  app.post(
    '/:id/publish',
    {
      config: { roles: editors },
      schema: {
        tags: ['flows'],
        summary:
          'Publish the draft as the next immutable version; 422 with the problems when it is not valid',
        params: FlowId,
        response: { 201: z.object({ number: z.number().int() }), 422: ValidationReport, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const flow = await store(tenantId).get(request.params.id);
      const report = await check(tenantId, flow.id, flow.definition);
      if (!report.valid) return reply.code(422).send(report);
      return reply.code(201).send({ number: await store(tenantId).publish(flow.id, flow.definition, keyId) });
    },
  );

  app.get(
    '/:id/rollout',
    {
      config: { roles: readers },
      schema: {
        tags: ['flows'],
        params: FlowId,
        response: { 200: z.object({ rollout: Rollout.nullable() }), ...errors },
      },
    },
    async (request) => ({ rollout: await store(request.principal.tenantId).rollout(request.params.id) }),
  );

  app.put(
    '/:id/rollout',
    {
      config: { roles: editors },
      schema: {
        tags: ['flows'],
        summary: 'Which published version serves calls: stable, and a canary for a share of calls',
        params: FlowId,
        body: Rollout,
        response: { 200: z.object({ rollout: Rollout }), ...errors },
      },
    },
    async (request) => ({
      rollout: await store(request.principal.tenantId).setRollout(request.params.id, request.body),
    }),
  );

  app.get(
    '/:id/versions',
    {
      config: { roles: readers },
      schema: {
        tags: ['flows'],
        params: FlowId,
        response: { 200: z.object({ versions: z.array(FlowVersion) }), ...errors },
      },
    },
    async (request) => ({
      versions: (await store(request.principal.tenantId).versions(request.params.id)).map((v) => ({
        ...v,
        definition: definitionFor(request.principal.role, v.definition),
      })),
    }),
  );
};

export default flows;
