import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export interface OutboundRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange, connect to last byte. */
  timeoutMs: number;
  /** Bytes of the response body kept; reading stops (and the connection closes) past them. */
  maxBytes: number;
  /** The already-checked address to connect to (checkTarget): DNS is not asked again. */
  address: string;
}

export interface OutboundResponse {
  status: number;
  body: string;
  /** The body was longer than maxBytes: what is here is its start. */
  truncated: boolean;
  retryAfter?: string;
}

export class OutboundTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`);
    this.name = 'OutboundTimeoutError';
  }
}

/**
 * One request to a checked destination: connects to `address` whatever DNS says now (no rebinding between
 * the check and the connection; TLS still verifies the URL's host name), follows no redirect (it could lead
 * anywhere, a private address included), and reads at most `maxBytes` of the answer.
 */
export function outboundRequest(url: URL, request: OutboundRequest): Promise<OutboundResponse> {
  const family = isIP(request.address);
  const pin: LookupFunction = (_host, options, callback) =>
    options.all
      ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: request.address, family },
        ])
      : callback(null, request.address, family);
  const headers = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  return new Promise((resolve, reject) => {
    const outgoing = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: request.method, headers, lookup: pin },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const done = () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
            retryAfter: response.headers['retry-after'],
          });
        response.on('data', (chunk: Buffer) => {
          if (truncated) return;
          const room = request.maxBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            size = request.maxBytes;
            truncated = true;
            // Enough read: the rest is never downloaded.
            response.destroy();
            done();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', done);
        response.on('error', (err) => (truncated ? undefined : reject(err)));
      },
    );
    const timer = setTimeout(
      () => outgoing.destroy(new OutboundTimeoutError(request.timeoutMs)),
      request.timeoutMs,
    );
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
