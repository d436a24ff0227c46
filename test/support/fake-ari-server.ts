import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server that answers ARI's API-docs requests badly in chosen ways: the faults ari-client
 * mishandles. `resources` is the status for resources.json; `declarations` for every API declaration.
 */
export async function startFakeAri(statuses: {
  resources: number;
  declarations: number;
  declarationDelayMs?: number;
}) {
  const server = http.createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    if (req.url?.startsWith('/ari/api-docs/resources.json')) {
      res.writeHead(statuses.resources, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: '2.0.0',
          swaggerVersion: '1.1',
          basePath: `http://127.0.0.1:${port}/ari`,
          apis: [{ path: '/api-docs/channels.{format}', description: 'Channel resources' }],
        }),
      );
      return;
    }
    setTimeout(() => {
      res.writeHead(statuses.declarations, { 'content-type': 'application/json' });
      res.end('{"message":"nope"}');
    }, statuses.declarationDelayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
