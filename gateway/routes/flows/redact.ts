import { Role, type Role as RoleName } from '../../../lib/api-keys';
import type { FlowDefinition } from '../../../domain/flow/definition';

/** Shown instead of a value only the flow's editors may read. */
export const REDACTED = '***';

/**
 * A flow as a reader who cannot edit it (a supervisor) sees it: the initial values of secret variables and
 * the values of http node headers (API tokens, as a rule) are redacted. Editors see them: they write them.
 */
export function definitionFor(role: RoleName, definition: FlowDefinition): FlowDefinition {
  if (role === Role.Admin || role === Role.Developer) return definition;
  return {
    ...definition,
    variables: definition.variables.map((v) => (v.secret ? { ...v, initial: REDACTED } : v)),
    nodes: definition.nodes.map((node) =>
      node.type === 'http'
        ? {
            ...node,
            params: {
              ...node.params,
              headers: Object.fromEntries(Object.keys(node.params.headers ?? {}).map((h) => [h, REDACTED])),
            },
          }
        : node,
    ),
  } as FlowDefinition;
}
