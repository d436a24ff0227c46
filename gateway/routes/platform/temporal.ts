import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { isGrpcNotFound } from '../../../lib/grpc-errors';
import { FailoverError, describeReplication, failover, listClusters } from '../../../lib/temporal-clusters';
import { LostNodesError, setLostNodes } from '../../../lib/sites/lost-nodes';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';

const Cluster = z
  .object({
    name: z.string(),
    address: z.string(),
    connected: z.boolean(),
    initialFailoverVersion: z.number().int(),
  })
  .meta({ id: 'TemporalCluster' });
export const Replication = z
  .object({
    namespace: z.string(),
    global: z.boolean(),
    activeCluster: z.string(),
    clusters: z.array(z.string()),
    failoverVersion: z.number().int(),
    state: z.enum(['normal', 'handover', 'unspecified']),
    lostNodes: z
      .array(z.string())
      .describe("Its Asterisk nodes declared lost for good: their calls' commands fail at once"),
  })
  .meta({ id: 'NamespaceReplication' });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const operator = [Role.Operator] as const;

/**
 * The platform's Temporal clusters and where CTICloud's namespaces are active; failover as one call
 * (docs/temporal.md). The same code as `npm run failover`.
 */
const temporalClusters: FastifyPluginAsyncZod = async (app) => {
  const connection = app.temporal.connection;
  /** CTICloud's own namespaces, and the other site's (taken over when it fails): never a system namespace. */
  const namespaces = [
    app.config.TEMPORAL_NAMESPACE,
    `${app.config.TEMPORAL_NAMESPACE}-test`,
    ...(app.config.TEMPORAL_PEER_NAMESPACE ? [app.config.TEMPORAL_PEER_NAMESPACE] : []),
  ];
  const replicationOf = (namespace: string) =>
    describeReplication(connection, namespace).catch((err: unknown) => {
      if (isGrpcNotFound(err)) throw new NotFoundError('namespace', namespace);
      throw err;
    });

  app.get(
    '/',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: "Temporal's clusters, and where CTICloud's namespaces are active",
        response: {
          200: z.object({ clusters: z.array(Cluster), namespaces: z.array(Replication) }),
          ...errors,
        },
      },
    },
    async () => {
      const found = await Promise.all(namespaces.map((ns) => replicationOf(ns).catch(() => undefined)));
      return {
        clusters: await listClusters(connection),
        namespaces: found.filter((r): r is NonNullable<typeof r> => !!r),
      };
    },
  );

  app.post(
    '/failover',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: 'Make a cluster the active one of a CTICloud namespace',
        description:
          'forced: at once, whatever the other cluster has not replicated yet (the only way when the active ' +
          'cluster is down). graceful: the server waits until the target has caught up within ' +
          'allowedLagSeconds, then hands the namespace over with nothing lost.',
        body: z.object({
          namespace: z.string().min(1).max(255).optional(),
          cluster: z.string().min(1).max(255),
          mode: z.enum(['forced', 'graceful']).default('graceful'),
          /** @default 5 */
          allowedLagSeconds: z.number().int().min(5).max(120).default(5),
        }),
        response: {
          200: Replication.extend({ previousActiveCluster: z.string(), tookMs: z.number() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const namespace = request.body.namespace ?? app.config.TEMPORAL_NAMESPACE;
      if (!namespaces.includes(namespace)) {
        throw new InvalidFieldError('namespace', `one of ${namespaces.join(', ')}`);
      }
      const before = await replicationOf(namespace);
      if (!before.clusters.includes(request.body.cluster)) {
        throw new InvalidFieldError('cluster', `one of ${before.clusters.join(', ')}`);
      }
      try {
        return await failover(connection, { ...request.body, namespace });
      } catch (err) {
        if (err instanceof FailoverError) throw new ConflictError(err.message);
        throw err;
      }
    },
  );

  app.put(
    '/lost-nodes',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: "Declare a namespace's Asterisk nodes lost for good (or none)",
        description:
          'For a site that will not come back: the worker that runs the namespace here answers every command ' +
          'for a channel on these nodes at once (the channel went with its Asterisk), so calls, dials and ' +
          'conversations left there end, recorded as ended by the system; a dial in flight counts as a ' +
          "failed attempt (its outcome cannot be known) and the callback's or campaign's retry rules decide " +
          'whether to dial again, from a live node. Only where the namespace is active (fail it over first); ' +
          'an empty list, or a graceful failover, clears the declaration.',
        body: z.object({
          namespace: z.string().min(1).max(255).optional(),
          nodes: z
            .array(
              z
                .string()
                .min(1)
                .max(64)
                .regex(/^[A-Za-z0-9_-]+$/, 'a node name is letters, digits, _ and -'),
            )
            .max(32),
        }),
        response: { 200: Replication, ...errors },
      },
    },
    async (request) => {
      const namespace = request.body.namespace ?? app.config.TEMPORAL_NAMESPACE;
      if (!namespaces.includes(namespace)) {
        throw new InvalidFieldError('namespace', `one of ${namespaces.join(', ')}`);
      }
      const before = await replicationOf(namespace);
      // Declared where the namespace runs: elsewhere, its own site may still be driving those nodes.
      const here = app.config.TEMPORAL_CLUSTER;
      if (request.body.nodes.length && here && before.global && before.activeCluster !== here) {
        throw new ConflictError(
          `namespace ${namespace} is active on ${before.activeCluster}, not here (${here}): fail it over first`,
        );
      }
      try {
        await setLostNodes(connection, namespace, request.body.nodes);
      } catch (err) {
        if (err instanceof LostNodesError) throw new InvalidFieldError('nodes', err.message);
        throw err;
      }
      return replicationOf(namespace);
    },
  );
};

export default temporalClusters;
