import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { heartbeatOf } from '../../../lib/sites/replication';
import { describeReplication } from '../../../lib/temporal-clusters';
import { ErrorBody } from '../../plugins/error-handler';
import { readiness } from '../health/readiness';
import { Replication } from './temporal';

const SiteView = z
  .object({
    name: z.string(),
    /** The site that answered this request. */
    here: z.boolean(),
    /** Its Temporal cluster. */
    cluster: z.string().nullable(),
    status: z.enum(['ready', 'unavailable', 'unreachable']),
    /** Its dependencies that failed their check (Temporal, PostgreSQL, NATS, ARI, bridge). */
    down: z.array(z.string()),
    /** How this site receives the other's configuration: the other's last heartbeat as applied here. */
    replication: z
      .object({
        lagMs: z.number().nullable().describe('How late the last heartbeat arrived'),
        lastAppliedAt: z.string().nullable().describe('When it arrived: stale when the other site is gone'),
      })
      .nullable(),
    error: z.string().optional(),
  })
  .meta({ id: 'Site' });
type SiteView = z.infer<typeof SiteView>;
const Sites = z
  .object({
    site: z.string().nullable().describe('This site; null when CTICloud runs as one site'),
    sites: z.array(SiteView),
    namespaces: z.array(Replication.extend({ home: z.string().describe('The site whose calls it runs') })),
  })
  .meta({ id: 'Sites' });
const errors = { 401: ErrorBody, 403: ErrorBody };
const operator = [Role.Operator] as const;
/** How long the other site may take to say how it is. @default 2000 */
const PEER_TIMEOUT_MS = 2000;

/**
 * Both sites as each sees itself (docs/architecture.md, "Two sites"): health, how far behind it applies the
 * other's configuration, and where each site's namespace is active. The other site's view is asked of its
 * own gateway with the caller's key (a key works at both sites); a site that does not answer is unreachable.
 */
const sites: FastifyPluginAsyncZod = async (app) => {
  const { SITE, PEER_SITE, PEER_API_URL, TEMPORAL_CLUSTER, TEMPORAL_NAMESPACE, TEMPORAL_PEER_NAMESPACE } =
    app.config;

  const local = async (log: typeof app.log): Promise<SiteView> => {
    const ready = await readiness(app, log);
    const beat = PEER_SITE ? await heartbeatOf(app.pg, PEER_SITE).catch(() => undefined) : undefined;
    return {
      name: SITE ?? 'default',
      here: true,
      cluster: TEMPORAL_CLUSTER ?? null,
      status: ready.status,
      down: ready.down,
      replication: PEER_SITE
        ? {
            lagMs: beat?.appliedAt ? beat.appliedAt.getTime() - beat.beatAt.getTime() : null,
            lastAppliedAt: beat?.appliedAt?.toISOString() ?? null,
          }
        : null,
    };
  };

  const peer = async (authorization: string | undefined): Promise<SiteView | undefined> => {
    if (!PEER_SITE || !PEER_API_URL) return undefined;
    const unreachable = (error: string): SiteView => ({
      name: PEER_SITE,
      here: false,
      cluster: null,
      status: 'unreachable',
      down: [],
      replication: null,
      error,
    });
    try {
      const response = await fetch(`${PEER_API_URL}/v1/platform/sites/local`, {
        headers: authorization ? { authorization } : {},
        signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
      });
      if (!response.ok) return unreachable(`answered ${response.status}`);
      return { ...SiteView.parse(await response.json()), here: false };
    } catch (err) {
      return unreachable((err as Error).message);
    }
  };

  app.get(
    '/local',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: 'This site alone: what the other site asks to show both',
        response: { 200: SiteView, ...errors },
      },
    },
    async (request) => local(request.log),
  );

  app.get(
    '/',
    {
      config: { roles: operator },
      schema: {
        tags: ['platform'],
        summary: "Both sites' health, replication lag, and where each site's namespace is active",
        response: { 200: Sites, ...errors },
      },
    },
    async (request) => {
      const [here, other] = await Promise.all([local(request.log), peer(request.headers.authorization)]);
      const homes: [string, string | undefined][] = [
        [here.name, TEMPORAL_NAMESPACE],
        ...(other ? [[other.name, TEMPORAL_PEER_NAMESPACE] as [string, string | undefined]] : []),
      ];
      const namespaces = await Promise.all(
        homes
          .filter((h): h is [string, string] => !!h[1])
          .map(([home, ns]) =>
            describeReplication(app.temporal.connection, ns)
              .then((r) => ({ ...r, home }))
              .catch(() => undefined),
          ),
      );
      return {
        site: SITE ?? null,
        sites: other ? [here, other] : [here],
        namespaces: namespaces.filter((n): n is NonNullable<typeof n> => !!n),
      };
    },
  );
};

export default sites;
