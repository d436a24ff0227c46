import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../sdk/verify-webhook';

/** Polls until `probe` gives a value (not undefined), failing with `what` after `ms`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One request a webhook receiver got: its event, and whether its signature verified. */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  event: any;
  verified: boolean;
}

/**
 * A webhook receiver on loopback, as a customer would write one: it checks every delivery's signature with
 * the SDK helper against the secret of the webhook its path belongs to, and answers 401 when it fails.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const secrets = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const path = req.url ?? '/';
      const { ok } = verifyWebhookSignature({
        payload: body,
        header: req.headers['x-cticloud-signature'],
        secret: secrets.get(path) ?? '',
      });
      received.push({ path, headers: req.headers, body, event: JSON.parse(body), verified: ok });
      res.writeHead(ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    /** Registers the secret the receiver verifies a path's deliveries with. */
    expect: (path: string, secret: string) => secrets.set(path, secret),
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export interface StreamedEvent {
  id: string;
  event: string;
  data: any;
}

/**
 * Reads a server-sent-events response as EventSource would, into a list of events as they arrive.
 * `opened` resolves with the response status once the headers are in.
 */
export function readEventStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const events: StreamedEvent[] = [];
  const opened = fetch(url, { headers, signal: controller.signal }).then(async (response) => {
    if (response.status !== 200) return { status: response.status, body: await response.text() };
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => l && !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]),
          );
          if (fields.data)
            events.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) });
        }
      }
    })();
    return { status: 200, body: '', contentType: response.headers.get('content-type') };
  });
  return { events, opened, close: () => controller.abort() };
}
