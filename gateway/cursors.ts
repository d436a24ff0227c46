import { z } from 'zod';

const INT8_MAX = 9223372036854775807n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A keyset cursor over a bigint id: digits that fit PostgreSQL's int8 (a larger one was a 500). */
export const IdCursor = z
  .string()
  .regex(/^\d{1,19}$/, 'a cursor from a previous page')
  // zod runs this after a failed regex too: only digits reach BigInt.
  .refine((c) => !/^\d{1,19}$/.test(c) || BigInt(c) <= INT8_MAX, 'a cursor from a previous page');

/** `(updated_at, id)` of the last row, base64url: what the tickets list pages by. */
export function encodeTicketCursor(updatedAt: Date, id: string): string {
  return Buffer.from(`${updatedAt.toISOString()}|${id}`).toString('base64url');
}

export function decodeTicketCursor(cursor: string): { at: string; id: string } | undefined {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (rest.length || !at || !id || !UUID.test(id) || Number.isNaN(Date.parse(at))) return undefined;
  return { at, id };
}

export const TicketCursor = z
  .string()
  .max(200)
  .refine((c) => decodeTicketCursor(c) !== undefined, 'a cursor from a previous page');
