import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Readiness = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    down: z.array(z.string()).describe('Dependencies that failed their check'),
    checks: z.record(z.string(), Check),
  })
  .meta({ id: 'Readiness' });

const timed = async (check: () => Promise<unknown>, timeoutMs = 2000): Promise<z.infer<typeof Check>> => {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), timeoutMs))),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
};

const health: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], security: [], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        security: [],
        description:
          "Checks Temporal, PostgreSQL, NATS, ARI, and that this stack's bridge holds the Stasis app; 503 names what is down.",
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (request, reply) => {
      const entries = await Promise.all(
        Object.entries({
          temporal: () => app.temporal.workflowService.getSystemInfo({}),
          postgres: () => app.pg.query('select 1'),
          nats: async () => {
            if (app.nats.isClosed()) throw new Error('connection closed');
            await app.nats.rtt();
          },
          ari: () => app.checkAri(),
          bridge: () => app.checkBridge(),
        }).map(async ([name, check]) => [name, await timed(check)] as const),
      );
      // Why a dependency is down goes to the log, not to whoever asks (this route needs no key).
      for (const [name, c] of entries)
        if (c.error) request.log.warn({ dependency: name, reason: c.error }, 'not ready');
      const checks = Object.fromEntries(entries.map(([name, { error: _error, ...c }]) => [name, c]));
      const down = entries.filter(([, c]) => !c.ok).map(([name]) => name);
      return reply
        .code(down.length ? 503 : 200)
        .send({ status: down.length ? 'unavailable' : 'ready', down, checks });
    },
  );
};

export default health;
