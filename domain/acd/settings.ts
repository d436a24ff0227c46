import { z } from 'zod';
import { RoutingStrategy } from './model';

const Skill = z.object({
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -'),
  minLevel: z.number().int().min(1).max(10),
});

/**
 * A queue's settings as stored and as the API takes them: every field has a default, so a queue is
 * created with just a name. Not for workflow code (zod stays out of the sandbox): activities parse it.
 */
export const QueueSettings = z.object({
  /** @default 'longest_idle' */
  strategy: z
    .enum(Object.values(RoutingStrategy) as [RoutingStrategy, ...RoutingStrategy[]])
    .default('longest_idle'),
  skills: z.array(Skill).max(10).default([]),
  /** @default 600 */
  maxWaitSec: z.number().int().min(5).max(86_400).default(600),
  overflow: z
    .object({
      kind: z.enum(['queue', 'voicemail', 'callback', 'flow']),
      target: z.string().max(64).optional(),
    })
    .optional(),
  /** Asterisk music-on-hold class. @default 'default' */
  mohClass: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .default('default'),
  announce: z
    .object({
      position: z.boolean().default(true),
      estimatedWait: z.boolean().default(true),
      /** @default 60 */
      intervalSec: z.number().int().min(10).max(3600).default(60),
    })
    .default({ position: true, estimatedWait: true, intervalSec: 60 }),
  /** @default 10 */
  wrapUpSec: z.number().int().min(0).max(3600).default(10),
  /** Ringing an agent longer than this marks them not ready and offers the call to another. @default 20 */
  ringTimeoutSec: z.number().int().min(5).max(120).default(20),
  /** @default 20 */
  serviceLevelSec: z.number().int().min(1).max(3600).default(20),
  /** Record conversations (from the bridge). @default true */
  record: z.boolean().default(true),
});
export type QueueSettings = z.infer<typeof QueueSettings>;
