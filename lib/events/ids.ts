import { createHash } from 'node:crypto';

/** A UUID (version 5 layout) from a name: the same name always gives the same id. */
export function stableUuid(name: string): string {
  const b = createHash('sha256').update(name).digest();
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
