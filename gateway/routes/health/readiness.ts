import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { z } from 'zod';

export const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
export const Readiness = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    down: z.array(z.string()).describe('Dependencies that failed their check'),
    checks: z.record(z.string(), Check),
  })
  .meta({ id: 'Readiness' });
export type Readiness = z.infer<typeof Readiness>;

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

/**
 * This stack's dependencies, each checked with a timeout: Temporal, PostgreSQL, NATS, ARI, and that this
 * stack's bridge holds the Stasis app. Why one is down goes to `log`, not into the answer (readyz needs no
 * key).
 */
export async function readiness(app: FastifyInstance, log: FastifyBaseLogger): Promise<Readiness> {
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
  for (const [name, c] of entries) if (c.error) log.warn({ dependency: name, reason: c.error }, 'not ready');
  const checks = Object.fromEntries(entries.map(([name, { error: _error, ...c }]) => [name, c]));
  const down = entries.filter(([, c]) => !c.ok).map(([name]) => name);
  return { status: down.length ? 'unavailable' : 'ready', down, checks };
}
