import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../lib/config';
import auth from './plugins/auth';
import errorHandler from './plugins/error-handler';
import external from './plugins/external';
import openapi from './plugins/openapi';
import asyncapi from './routes/events/asyncapi';
import calls from './routes/calls';
import callTransfer from './routes/calls/transfer';
import callMonitor from './routes/calls/monitor';
import callTimeline from './routes/calls/timeline';
import callHangup from './routes/calls/hangup';
import flows from './routes/flows';
import simulate from './routes/flows/simulate';
import flowImport from './routes/flows/import';
import numbers from './routes/numbers';
import platform from './routes/platform';
import temporalClusters from './routes/platform/temporal';
import sites from './routes/platform/sites';
import recordings from './routes/recordings';
import tenant from './routes/tenant';
import queues from './routes/queues';
import agents from './routes/agents';
import callbacks from './routes/callbacks';
import campaigns from './routes/campaigns';
import campaignContacts from './routes/campaigns/contacts';
import dnc from './routes/dnc';
import campaignLifecycle from './routes/campaigns/lifecycle';
import tickets from './routes/tickets';
import callDisposition from './routes/calls/disposition';
import health from './routes/health';
import webhooks from './routes/webhooks';
import events from './routes/events';
import me from './routes/me';
import webUi from './plugins/web-ui';
import rateLimitPlugin from './plugins/rate-limit';
import noNul from './plugins/no-nul';
import siteHeartbeat from './plugins/site-heartbeat';
import metrics from './plugins/metrics';
import audit from './plugins/audit';
import auditRoutes from './routes/audit';
import reports from './routes/reports';

export interface GatewayOptions {
  config: Config;
  /** Fastify's logger settings. @default { level: config.LOG_LEVEL } */
  logger?: boolean | { level: string };
}

export async function buildGateway({ config, logger }: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.LOG_LEVEL },
    // Long ids reach the routes' schemas (400 naming the parameter) rather than the router's bare 414.
    routerOptions: { maxParamLength: 4096 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.decorate('mutatingRoutes', [] as string[]);
  await app.register(errorHandler);
  await app.register(noNul);
  await app.register(external, { config });
  await app.register(metrics);
  await app.register(siteHeartbeat);
  await app.register(openapi);
  await app.register(asyncapi);
  await app.register(health);
  await app.register(
    async (v1) => {
      await v1.register(auth);
      await v1.register(rateLimitPlugin, { perMinute: config.RATE_LIMIT_PER_MINUTE });
      await v1.register(audit, { routes: app.mutatingRoutes });
      await v1.register(auditRoutes, { prefix: '/audit' });
      await v1.register(reports, { prefix: '/reports' });
      await v1.register(me, { prefix: '/me' });
      await v1.register(webhooks, { prefix: '/webhooks' });
      await v1.register(events, { prefix: '/events' });
      await v1.register(calls, { prefix: '/calls' });
      await v1.register(callTransfer, { prefix: '/calls' });
      await v1.register(callMonitor, { prefix: '/calls' });
      await v1.register(callTimeline, { prefix: '/calls' });
      await v1.register(callHangup, { prefix: '/calls' });
      await v1.register(flows, { prefix: '/flows' });
      await v1.register(simulate, { prefix: '/flows' });
      await v1.register(flowImport, { prefix: '/flows' });
      await v1.register(numbers, { prefix: '/numbers' });
      await v1.register(platform, { prefix: '/platform' });
      await v1.register(temporalClusters, { prefix: '/platform/temporal' });
      await v1.register(sites, { prefix: '/platform/sites' });
      await v1.register(recordings, { prefix: '/recordings' });
      await v1.register(tenant, { prefix: '/tenant' });
      await v1.register(queues, { prefix: '/queues' });
      await v1.register(agents, { prefix: '/agents' });
      await v1.register(callbacks, { prefix: '/callbacks' });
      await v1.register(campaigns, { prefix: '/campaigns' });
      await v1.register(campaignContacts, { prefix: '/campaigns' });
      await v1.register(dnc, { prefix: '/dnc' });
      await v1.register(campaignLifecycle, { prefix: '/campaigns' });
      await v1.register(tickets, { prefix: '/tickets' });
      await v1.register(callDisposition, { prefix: '/calls' });
    },
    { prefix: '/v1' },
  );
  await app.register(webUi);
  return app;
}
