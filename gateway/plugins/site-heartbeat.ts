import fp from 'fastify-plugin';
import { beat } from '../../lib/sites/replication';

/** How often this site says it is alive to the other (site_heartbeats, replicated). @default 1000 */
const BEAT_EVERY_MS = 1000;

/**
 * At two sites, this site's heartbeat: a row the other site receives by replication and stamps when it
 * applies it, which is how each site knows its replication lag and when it last heard from the other
 * (GET /v1/platform/sites). Every gateway of a site beats; the row is the site's, so more gateways change
 * nothing but the frequency.
 */
export default fp(async (app) => {
  const site = app.config.SITE;
  if (!site) return;
  const timer = setInterval(() => {
    beat(app.pg, site).catch((err: Error) =>
      app.log.debug({ err: err.message }, 'site heartbeat not written'),
    );
  }, BEAT_EVERY_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
});
