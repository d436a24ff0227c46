import { z } from 'zod';

/**
 * A date and time with an offset, as a query parameter that reaches SQL: any offset ISO 8601 allows is
 * accepted and the value is handed to PostgreSQL in UTC (`utc`), which refuses offsets beyond ±15:59 (the
 * fuzzer's `-17:42` was a 500).
 */
export const Instant = z.iso
  .datetime({ offset: true })
  .refine((s) => Number.isFinite(Date.parse(s)), 'a date and time that exists');

export const utc = (s: string): string => new Date(s).toISOString();
export const utcOrUndefined = (s: string | undefined): string | undefined => (s === undefined ? s : utc(s));
