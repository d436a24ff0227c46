import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `vite build ui` writes the web UI; `npm start` and `npm test` build it when its sources change. */
export const WEB_UI_DIR = join(__dirname, '..', '..', 'ui', 'dist');

/**
 * Serves the flow designer and supervisor console at `/`. The UI routes with the URL hash, so every page
 * is index.html; without a build (a bare `tsx gateway/server.ts`), `/` says how to make one.
 */
export default fp(async (app) => {
  if (!existsSync(join(WEB_UI_DIR, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send('The web UI is not built: run `npm start` (or `npx vite build ui`). The API is at /docs.'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: WEB_UI_DIR,
    prefix: '/',
    // One route per built file instead of a catch-all, so unknown /v1 paths still get the API's 404.
    wildcard: false,
    // Hashed asset names change with every build, so they may be cached for good; index.html never.
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header(
        'cache-control',
        path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
});
