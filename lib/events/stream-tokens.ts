import { createHash, randomBytes } from 'node:crypto';
import type { KV, NatsConnection } from 'nats';

/**
 * Short-lived tokens that open the event stream from a browser: `EventSource` cannot send an
 * Authorization header, and an API key in a URL would end up in proxy logs, browser history and
 * Referer headers for as long as the key lives. A token is minted with a key (POST /v1/events/token), is
 * worth only GET /v1/events, and expires after a few minutes; a stream opened with it stays open.
 *
 * Kept in a NATS KV bucket whose entries expire by themselves, so every gateway of the cluster accepts
 * tokens any of them minted and nothing needs cleaning up. Only the token's SHA-256 is stored.
 */
export const STREAM_TOKEN_BUCKET = 'event-stream-tokens';
/** How long a token can open a stream. EventSource reconnects within it reuse it; later, mint another. */
export const STREAM_TOKEN_TTL_MS = 5 * 60_000;
const PREFIX = 'cst_';

export interface StreamTokenGrant {
  /** The API key the token was minted with: revoking it stops the token as well. */
  keyId: string;
  expiresAt: string;
}

export interface StreamTokens {
  mint(keyId: string): Promise<{ token: string; expiresAt: string }>;
  /** The grant of a token that exists and has not expired; undefined otherwise. */
  redeem(token: string): Promise<StreamTokenGrant | undefined>;
}

const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Tells a stream token from an API key by its shape, without a lookup. */
export const isStreamToken = (value: string): boolean => /^cst_[A-Za-z0-9_-]{43}$/.test(value);

export function createStreamTokens(nc: NatsConnection, ttlMs = STREAM_TOKEN_TTL_MS): StreamTokens {
  let kv: KV | undefined;
  // Opened on first use: a gateway whose NATS is away at start still starts, and says so at /readyz.
  const bucket = async () =>
    (kv ??= await nc.jetstream().views.kv(STREAM_TOKEN_BUCKET, { ttl: ttlMs, history: 1 }));
  return {
    async mint(keyId) {
      const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
      const expiresAt = new Date(Date.now() + ttlMs).toISOString();
      await (
        await bucket()
      ).put(hashOf(token), JSON.stringify({ keyId, expiresAt } satisfies StreamTokenGrant));
      return { token, expiresAt };
    },
    async redeem(token) {
      if (!isStreamToken(token)) return undefined;
      const entry = await (await bucket()).get(hashOf(token));
      if (!entry || entry.operation !== 'PUT') return undefined;
      const grant = entry.json<StreamTokenGrant>();
      // The bucket's TTL removes entries lazily; the stored expiry is what counts.
      return Date.parse(grant.expiresAt) > Date.now() ? grant : undefined;
    },
  };
}
