import { z } from 'zod';

/** Read-only variables every call has. */
export const SYSTEM_VARIABLES = ['caller.number', 'caller.name', 'call.to', 'call.id', 'tenant.id'] as const;

const NodeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64');

/**
 * A flow as the designer saves it: nodes with their type's parameters and a canvas position, and edges from
 * a node's named exit to another node (xyflow's source handle is the exit).
 */
export const FlowDefinition = z
  .object({
    schemaVersion: z.literal(1),
    start: NodeId,
    nodes: z
      .array(
        z.object({
          id: NodeId,
          type: z.string().min(1).max(40),
          label: z.string().max(120).optional(),
          params: z.record(z.string(), z.unknown()).default({}),
          position: z.object({ x: z.number(), y: z.number() }).default({ x: 0, y: 0 }),
        }),
      )
      .min(1)
      .max(500),
    edges: z.array(z.object({ from: NodeId, exit: z.string().min(1).max(64), to: NodeId })).max(2000),
    variables: z
      .array(
        z.object({
          name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
          /** Set before the first node runs. */
          initial: z.string().max(2000).optional(),
          /** Masked in queries, logs and the supervisor console. */
          secret: z.boolean().default(false),
        }),
      )
      .max(200)
      .default([]),
  })
  .meta({ id: 'FlowDefinition' });

export type FlowDefinition = z.infer<typeof FlowDefinition>;
