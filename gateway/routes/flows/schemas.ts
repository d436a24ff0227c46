import { z } from 'zod';
import { FlowDefinition } from '../../../domain/flow/definition';

export const FlowId = z.object({ id: z.string().uuid('a flow id is a UUID') });

export const FlowInput = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).default(''),
  /** The draft may be unfinished: only its shape is checked here; validate and publish check the graph. */
  definition: FlowDefinition,
});

export const FlowUpdate = FlowInput.extend({
  /** The version the editor started from; a stale one is refused with 409 instead of losing someone's edits. */
  version: z.number().int().positive().max(2_147_483_647),
});

export const Problem = z.object({
  code: z.string(),
  nodeId: z.string().optional(),
  path: z.string(),
  message: z.string(),
});

export const Flow = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    description: z.string(),
    version: z.number().int(),
    latestPublished: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    definition: FlowDefinition,
  })
  .meta({ id: 'Flow' });

export const FlowSummary = Flow.omit({ definition: true, description: true }).meta({ id: 'FlowSummary' });

export const FlowVersion = z
  .object({ number: z.number().int(), publishedAt: z.string(), definition: FlowDefinition })
  .meta({ id: 'FlowVersion' });
