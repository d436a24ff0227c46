import { config as loadDotenv } from 'dotenv';
import path from 'node:path';
import { z } from 'zod';
import { AsteriskNodesError, parseAsteriskNodes, type AsteriskNode } from '../domain/asterisk-nodes';

/** Settings shared by every process. Values come from the environment, then `.env`, then these defaults. */
const ConfigSchema = z
  .object({
    API_HOST: z.string().default('127.0.0.1'),
    API_PORT: z.coerce.number().int().positive().default(3000),
    ADMIN_API_KEY: z.string().min(16, 'ADMIN_API_KEY must be at least 16 characters'),
    /**
     * The platform operator's key: creates tenants and provisions numbers to them (/v1/platform). Generated
     * into .env at first start. @default none: without it nobody can provision numbers
     */
    /**
     * Numbers provisioned to the default tenant at every start, as the operator would (`1000-1019,5551234`):
     * a one-box install can send them to flows at once. At most 1,000. @default none
     */
    DEFAULT_TENANT_NUMBERS: z
      .string()
      .regex(
        /^(\+?\d{1,32}(-\+?\d{1,32})?)?(,\+?\d{1,32}(-\+?\d{1,32})?)*$/,
        'DEFAULT_TENANT_NUMBERS: 1000-1019,5551234',
      )
      .optional(),
    OPERATOR_API_KEY: z.string().min(16, 'OPERATOR_API_KEY must be at least 16 characters').optional(),
    DEFAULT_TENANT: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'DEFAULT_TENANT must be lowercase letters, digits and dashes')
      .default('default'),
    DATABASE_URL: z.string().url(),
    NATS_URL: z.string().default('nats://127.0.0.1:4222'),
    TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
    /**
     * Other clusters' frontends (comma-separated), used only while TEMPORAL_ADDRESS (this site's own) does not
     * answer: the worker and the gateway move there and come back (lib/temporal-frontends.ts). @default none
     */
    TEMPORAL_FALLBACK_ADDRESSES: z
      .string()
      .regex(/^([^,\s]+(,[^,\s]+)*)?$/, 'TEMPORAL_FALLBACK_ADDRESSES: host:port,host:port')
      .optional(),
    TEMPORAL_UI_PORT: z.coerce.number().int().positive().default(8233),
    TEMPORAL_NAMESPACE: z.string().default('cticloud'),
    TEMPORAL_TASK_QUEUE: z.string().default('calls'),
    /**
     * The name of the Temporal cluster at TEMPORAL_ADDRESS: a takeover worker runs while its namespace is
     * active there. @default none (one site)
     */
    TEMPORAL_CLUSTER: z.string().optional(),
    /**
     * At two sites: the other site's namespace, which this site takes over when that site fails (the platform's
     * failover route moves it too). @default none (one site)
     */
    TEMPORAL_PEER_NAMESPACE: z.string().optional(),
    /**
     * Signs the event stream's short-lived tokens, so a token minted at any gateway sharing it (both sites)
     * opens the stream at every one. Generated into .env at first start. @default none: tokens are kept in
     * this site's NATS instead
     */
    STREAM_TOKEN_SECRET: z.string().min(32, 'STREAM_TOKEN_SECRET must be at least 32 characters').optional(),
    /** At two sites, this site's name (docs/architecture.md, "Two sites"). @default none (one site) */
    SITE: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,15}$/, 'SITE: a-z0-9, up to 16')
      .optional(),
    /** At two sites, the other site's name and its gateway's base URL (whose health this site reports). */
    PEER_SITE: z.string().optional(),
    PEER_API_URL: z.string().url().optional(),
    /**
     * `site`: the worker of this site's namespace (routes new calls, delivers webhooks, watches routing).
     * `takeover`: at a site, the worker of the other site's namespace, running that namespace's workflows and
     * activities with this site's Asterisk only while the namespace is active on this site's cluster (after a
     * site failover); it routes nothing itself (docs/architecture.md, "Two sites"). @default 'site'
     */
    WORKER_ROLE: z.enum(['site', 'takeover']).default('site'),
    /**
     * At two sites: the takeover worker fails the other site's namespace over to this site by itself once the
     * other site has been silent on every path this long and the witness (SITE_WITNESS_URL) cannot reach it
     * either (lib/sites/auto-failover.ts). @default none: failover is an operator's command
     */
    SITE_AUTO_FAILOVER_SEC: z.coerce.number().int().min(3).max(3600).optional(),
    /** The witness asked before an automatic failover (lib/sites/witness.ts), in a third place. */
    SITE_WITNESS_URL: z.string().url().optional(),
    ARI_URL: z.string().url().default('http://127.0.0.1:8088'),
    ARI_USER: z.string().default('cticloud'),
    /** No default: generated into .env at first start (scripts/lib.sh), or yours with ARI_URL. */
    ARI_PASSWORD: z
      .string()
      .min(12, 'ARI_PASSWORD must be at least 12 characters')
      .refine((p) => p !== 'cticloud-ari' && p !== 'generate', 'ARI_PASSWORD must not be a shipped default'),
    ARI_APP: z.string().default('cticloud'),
    ASTERISK_NODE: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'ASTERISK_NODE must be a single NATS subject token')
      .default('ast1'),
    /**
     * Every Asterisk this deployment drives, `<node>=<ARI URL>` separated by commas; the first is the primary.
     * @default `${ASTERISK_NODE}=${ARI_URL}` (one Asterisk)
     */
    ASTERISK_NODES: z.string().optional(),
    /** Start call workflows on the routing worker itself, skipping a server round trip. @default true */
    WORKER_EAGER_START: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /**
     * How activities read a channel's ARI events: `shared`, one reader per Asterisk node in each worker that
     * serves every cursor it can (activities/channel-event-reader.ts); `per-cursor`, a JetStream consumer of
     * each cursor's own (the code before issue #14's direction D). @default shared
     */
    CHANNEL_EVENTS_READER: z.enum(['shared', 'per-cursor']).default('shared'),
    /** Threads running workflow code in the worker. @default 1 (the SDK's default with reused V8 contexts) */
    WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).default(1),
    /** Where the worker writes TTS prompts. @default the bundled Asterisk's chroot */
    TTS_HOST_DIR: z
      .string()
      .default(
        `${process.env.CTICLOUD_CACHE ?? `${process.env.HOME ?? '/root'}/.cache/cticloud`}/asterisk-root/var/lib/asterisk/sounds/cticloud-tts`,
      ),
    /** The same directory as Asterisk sees it. @default '/var/lib/asterisk/sounds/cticloud-tts' */
    TTS_ASTERISK_DIR: z.string().default('/var/lib/asterisk/sounds/cticloud-tts'),
    /** Dial string for transfers to numbers; `{number}` is replaced. @default 'Local/{number}@outbound/n' */
    OUTBOUND_DIAL: z
      .string()
      .regex(/\{number\}/, 'OUTBOUND_DIAL must contain {number}')
      .default('Local/{number}@outbound/n'),
    /** Wait before a failed webhook delivery's first retry, in ms; each next wait doubles. @default 10000 */
    WEBHOOK_RETRY_INITIAL_MS: z.coerce.number().int().positive().default(10_000),
    /**
     * A callback whose first attempt is further away than this many seconds waits in Temporal as a start
     * delay, not in a worker (lib/callbacks.ts). @default 60
     */
    CALLBACK_START_DELAY_FROM_SEC: z.coerce.number().int().min(1).default(60),
    /**
     * Where the gateway's and the worker's Prometheus metrics are served (`/metrics`), apart from the API so
     * that no tenant's key or request reaches them. @default '127.0.0.1'
     */
    METRICS_HOST: z.string().default('127.0.0.1'),
    /** The gateway's metrics port; 0 serves none. @default 9464 */
    GATEWAY_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    /**
     * This worker's build in Temporal's worker deployments (gradual rollout, lib/rollout.ts): calls stay on
     * the build that started them; `npm run rollout` moves new ones. @default none: unversioned, as before
     */
    WORKER_BUILD_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'WORKER_BUILD_ID is letters, digits, ., _ and -')
      .optional(),
    /** The worker deployment the builds belong to. @default 'cticloud' */
    WORKER_DEPLOYMENT: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'WORKER_DEPLOYMENT is letters, digits, ., _ and -')
      .default('cticloud'),
    /** The worker's own metrics port; 0 serves none. @default 9465 */
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
    /** The Temporal SDK's metrics of the worker (task slots, schedule-to-start, polls); 0: none. @default 9466 */
    TEMPORAL_SDK_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9466),
    /** API requests per minute per key before 429. @default 6000 */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(6000),
    /** NATS's monitoring port: one of the services no tenant request may reach. @default 8222 */
    NATS_MONITOR_PORT: z.coerce.number().int().positive().default(8222),
    /**
     * Where tenants' webhooks and http nodes may go: `public` (the Internet; private ranges for tenants the
     * operator allows) or `loopback-only` (tests, fuzzing, a demo on one box). @default 'public'
     */
    OUTBOUND_POLICY: z.enum(['public', 'loopback-only']).default('public'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => c.WORKER_ROLE !== 'takeover' || !!c.TEMPORAL_CLUSTER, {
    path: ['TEMPORAL_CLUSTER'],
    message: "TEMPORAL_CLUSTER: a takeover worker needs the name of its site's cluster",
  })
  .refine(
    (c) =>
      c.WORKER_ROLE !== 'takeover' ||
      !c.SITE_AUTO_FAILOVER_SEC ||
      (!!c.SITE_WITNESS_URL && !!c.PEER_SITE && !!c.PEER_API_URL),
    {
      path: ['SITE_WITNESS_URL'],
      message:
        'SITE_WITNESS_URL: an automatic failover needs a witness (and PEER_SITE, PEER_API_URL): without a third vote a cut link would make both sites run both namespaces',
    },
  );

export type Config = z.infer<typeof ConfigSchema>;

/** The Asterisk nodes to drive: ASTERISK_NODES, or the one at ARI_URL named ASTERISK_NODE. */
export function asteriskNodes(config: Config): readonly AsteriskNode[] {
  const defaults = { user: config.ARI_USER, password: config.ARI_PASSWORD };
  try {
    return parseAsteriskNodes(config.ASTERISK_NODES ?? `${config.ASTERISK_NODE}=${config.ARI_URL}`, defaults);
  } catch (err) {
    if (err instanceof AsteriskNodesError) throw new ConfigError([`ASTERISK_NODES: ${err.message}`]);
    throw err;
  }
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration once per process; `overrides` lets tests point one process at other resources. */
export function loadConfig(overrides: Partial<Record<keyof Config, string>> = {}): Config {
  loadDotenv({ path: path.resolve(__dirname, '..', '.env'), quiet: true });
  const parsed = ConfigSchema.safeParse({ ...process.env, ...overrides });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}
