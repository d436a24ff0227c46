import { z } from 'zod';

/**
 * Which published version serves a call: the stable version, or the canary, in two dimensions (gradual
 * deployment by customer segment and by traffic share): every caller of the canary's segments, and a
 * share of all other calls. The share is decided by a hash of the call id, so one call always gets the
 * same answer (and replays do), and raising the percentage only moves calls from stable to canary.
 */
export const Rollout = z
  .object({
    stable: z.number().int().positive(),
    canary: z
      .object({
        version: z.number().int().positive(),
        /** Share of calls, 0 to 100; 0 with segments: only those callers. */
        percent: z.number().min(0).max(100),
        /**
         * Customer segments that always take the canary: caller numbers starting with one of these
         * (`+33`, `555010`, a full number for one customer). @default []
         */
        callers: z
          .array(z.string().regex(/^\+?[0-9]{1,20}$/, 'digits, optionally with a leading +'))
          .max(100)
          .default([]),
      })
      .optional(),
  })
  .refine((r) => !r.canary || r.canary.version !== r.stable, {
    message: 'the canary must be another version than stable',
    path: ['canary', 'version'],
  })
  .refine((r) => !r.canary || r.canary.percent > 0 || r.canary.callers.length > 0, {
    message: 'a canary needs a share of calls or caller segments',
    path: ['canary', 'percent'],
  })
  .meta({ id: 'Rollout' });
export type Rollout = z.infer<typeof Rollout>;

/** FNV-1a, 32 bits: stable across processes and platforms, and needs nothing from Node. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A call's position in [0, 10000): below percent × 100 it takes the canary. */
export const rolloutBucket = (callId: string): number => fnv1a(callId) % 10_000;

/** The version for a call: its caller's segment first, then its share. `caller` is the calling number. */
export function pickVersion(rollout: z.input<typeof Rollout>, callId: string, caller = ''): number {
  const canary = rollout.canary;
  if (!canary) return rollout.stable;
  const digits = caller.replace(/^\+/, '');
  const inSegment = (canary.callers ?? []).some(
    (prefix) => caller.startsWith(prefix) || digits.startsWith(prefix),
  );
  if (inSegment || rolloutBucket(callId) < canary.percent * 100) return canary.version;
  return rollout.stable;
}
