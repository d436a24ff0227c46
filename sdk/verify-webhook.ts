import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CTICloud webhook signatures, for receivers. Every delivery carries
 *
 *     X-CTICloud-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${raw body}`)>
 *
 * Verify against the raw request body, byte for byte as received (not a re-serialized JSON object), and
 * refuse a timestamp far from now: that is what stops a captured delivery from being replayed later.
 * Depends on node:crypto only, so it can be copied into a receiver as it is.
 */

export const SIGNATURE_HEADER = 'x-cticloud-signature';

export interface VerifyWebhookOptions {
  /** The raw request body. */
  payload: string | Buffer;
  /** The X-CTICloud-Signature header's value. */
  header: string | string[] | undefined;
  /** The webhook's secret, as returned when the webhook was created. */
  secret: string;
  /** How far the signature's timestamp may be from now, in seconds. @default 300 */
  toleranceSec?: number;
  /** The current time, in ms since the epoch. @default Date.now() */
  now?: number;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: string };

const hmac = (secret: string, timestamp: number, payload: string | Buffer): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest('hex');

/** The header value for `payload` signed at `timestamp` (unix seconds). CTICloud's own sender uses this. */
export function signWebhookPayload(payload: string | Buffer, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, payload)}`;
}

/**
 * Checks a delivery's signature in constant time. Any of several `v1=` values may match (during a secret
 * rotation a sender may sign with both secrets).
 */
export function verifyWebhookSignature({
  payload,
  header,
  secret,
  toleranceSec = 300,
  now = Date.now(),
}: VerifyWebhookOptions): VerifyResult {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return { ok: false, reason: 'no signature header' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const [key, v] = part.trim().split('=', 2);
    if (key === 't' && v && /^\d+$/.test(v)) timestamp = Number(v);
    else if (key === 'v1' && v) signatures.push(v);
  }
  if (timestamp === undefined) return { ok: false, reason: 'no timestamp in the signature header' };
  if (!signatures.length) return { ok: false, reason: 'no v1 signature in the signature header' };
  if (Math.abs(now / 1000 - timestamp) > toleranceSec)
    return { ok: false, reason: `timestamp outside the ${toleranceSec} s tolerance` };
  const expected = Buffer.from(hmac(secret, timestamp, payload), 'hex');
  const matches = signatures.some((s) => {
    const given = Buffer.from(s, 'hex');
    // timingSafeEqual throws on a length mismatch; the length of a hex HMAC is no secret.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'signature does not match' };
}
