import { z } from 'zod';

/**
 * Which published version serves a call: the stable version, or the canary for a share of calls. The
 * share is decided by a hash of the call id, so one call always gets the same answer (and replays do),
 * and raising the percentage only moves calls from stable to canary, never back.
 */
export const Rollout = z
  .object({
    stable: z.number().int().positive(),
    canary: z
      .object({
        version: z.number().int().positive(),
        /** Share of calls, 0.01 to 100. */
        percent: z.number().min(0.01).max(100),
      })
      .optional(),
  })
  .refine((r) => !r.canary || r.canary.version !== r.stable, {
    message: 'the canary must be another version than stable',
    path: ['canary', 'version'],
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

export function pickVersion(rollout: Rollout, callId: string): number {
  if (rollout.canary && rolloutBucket(callId) < rollout.canary.percent * 100) return rollout.canary.version;
  return rollout.stable;
}
