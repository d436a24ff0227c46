import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KV, NatsConnection } from 'nats';

/**
 * Short-lived tokens that open the event stream from a browser: `EventSource` cannot send an
 * Authorization header, and an API key in a URL would end up in proxy logs, browser history and
 * Referer headers for as long as the key lives. A token is minted with a key (POST /v1/events/token), is
 * worth only GET /v1/events, and expires after a few minutes; a stream opened with it stays open.
 *
 * With a secret (STREAM_TOKEN_SECRET, generated into .env at first start), a token carries its grant and
 * an HMAC of it: every gateway that shares the secret accepts it, at both sites (docs/architecture.md, "Two
 * sites"), and nothing is stored. Without one, tokens are kept in a NATS KV bucket whose entries expire by
 * themselves, so every gateway of one site accepts them; only the token's SHA-256 is stored. Either way a
 * gateway redeems both kinds, so tokens minted before a change of setting live out their minutes.
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

const STORED = /^cst_[A-Za-z0-9_-]{43}$/;
/** The grant (base64url JSON, a key id and an expiry: never long), a dot, its HMAC-SHA256. */
const SIGNED = /^cst_([A-Za-z0-9_-]{1,300})\.([A-Za-z0-9_-]{43})$/;

/** Tells a stream token from an API key by its shape, without a lookup. */
export const isStreamToken = (value: string): boolean => STORED.test(value) || SIGNED.test(value);

const sign = (secret: string, payload: string): Buffer =>
  createHmac('sha256', secret).update(payload).digest();

/** A signed token's grant when its HMAC is right and it has not expired. */
function redeemSigned(secret: string, token: string): StreamTokenGrant | undefined {
  const [, payload, mac] = SIGNED.exec(token) ?? [];
  if (!payload || !mac) return undefined;
  const given = Buffer.from(mac, 'base64url');
  const expected = sign(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as StreamTokenGrant;
    if (typeof grant.keyId !== 'string' || typeof grant.expiresAt !== 'string') return undefined;
    return Date.parse(grant.expiresAt) > Date.now() ? grant : undefined;
  } catch {
    return undefined;
  }
}

export function createStreamTokens(
  nc: NatsConnection,
  ttlMs = STREAM_TOKEN_TTL_MS,
  secret?: string,
): StreamTokens {
  let kv: KV | undefined;
  // Opened on first use: a gateway whose NATS is away at start still starts, and says so at /readyz.
  const bucket = async () =>
    (kv ??= await nc.jetstream().views.kv(STREAM_TOKEN_BUCKET, { ttl: ttlMs, history: 1 }));
  return {
    async mint(keyId) {
      if (secret) {
        const expiresAt = new Date(Date.now() + ttlMs).toISOString();
        const payload = Buffer.from(JSON.stringify({ keyId, expiresAt })).toString('base64url');
        return { token: `${PREFIX}${payload}.${sign(secret, payload).toString('base64url')}`, expiresAt };
      }
      const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
      const expiresAt = new Date(Date.now() + ttlMs).toISOString();
      await (
        await bucket()
      ).put(hashOf(token), JSON.stringify({ keyId, expiresAt } satisfies StreamTokenGrant));
      return { token, expiresAt };
    },
    async redeem(token) {
      if (SIGNED.test(token)) return secret ? redeemSigned(secret, token) : undefined;
      if (!STORED.test(token)) return undefined;
      const entry = await (await bucket()).get(hashOf(token));
      if (!entry || entry.operation !== 'PUT') return undefined;
      const grant = entry.json<StreamTokenGrant>();
      // The bucket's TTL removes entries lazily; the stored expiry is what counts.
      return Date.parse(grant.expiresAt) > Date.now() ? grant : undefined;
    },
  };
}
