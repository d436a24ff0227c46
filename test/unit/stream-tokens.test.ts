/**
 * Signed stream tokens (lib/events/stream-tokens.ts): with a shared secret a token carries its grant and its
 * HMAC, so any gateway with the secret (either site) redeems it without a lookup, and nothing forged,
 * altered, expired or signed with another secret opens the stream.
 */
import type { NatsConnection } from 'nats';
import { createStreamTokens, isStreamToken } from '../../lib/events/stream-tokens';

const SECRET = 'a-secret-both-sites-share-0123456789abcdef';
// Signed tokens never touch NATS: a connection that throws proves it.
const noNats = new Proxy({} as NatsConnection, {
  get() {
    throw new Error('NATS was used');
  },
});

test('a token minted at one gateway is redeemed at another with the same secret, with its key and expiry', async () => {
  const mintedAtA = await createStreamTokens(noNats, 60_000, SECRET).mint('key-1');
  expect(isStreamToken(mintedAtA.token)).toBe(true);
  const atB = createStreamTokens(noNats, 60_000, SECRET);
  expect(await atB.redeem(mintedAtA.token)).toEqual({ keyId: 'key-1', expiresAt: mintedAtA.expiresAt });
});

test('a token altered, signed with another secret, expired, or of no known shape opens nothing', async () => {
  const tokens = createStreamTokens(noNats, 60_000, SECRET);
  const { token } = await tokens.mint('key-1');
  const [payload, mac] = token.slice(4).split('.') as [string, string];
  const otherKey = Buffer.from(
    JSON.stringify({ keyId: 'key-2', expiresAt: '2999-01-01T00:00:00Z' }),
  ).toString('base64url');
  expect(await tokens.redeem(`cst_${otherKey}.${mac}`)).toBeUndefined();
  // The MAC's first character changed: all six of its bits are the MAC's. The last character's two low bits
  // are padding, so a changed end can decode to the same bytes (about one run in a thousand).
  const altered = `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
  expect(await tokens.redeem(`cst_${payload}.${altered}`)).toBeUndefined();
  const elsewhere = await createStreamTokens(noNats, 60_000, 'another-secret-0123456789abcdefghijkl').mint(
    'key-1',
  );
  expect(await tokens.redeem(elsewhere.token)).toBeUndefined();
  const expired = await createStreamTokens(noNats, -1, SECRET).mint('key-1');
  expect(await tokens.redeem(expired.token)).toBeUndefined();
  expect(isStreamToken('cti_an_api_key_not_a_token')).toBe(false);
  expect(await tokens.redeem('cst_x.y')).toBeUndefined();
});

test('without a secret a signed token is refused (it cannot be checked)', async () => {
  const { token } = await createStreamTokens(noNats, 60_000, SECRET).mint('key-1');
  expect(await createStreamTokens(noNats, 60_000).redeem(token)).toBeUndefined();
});
