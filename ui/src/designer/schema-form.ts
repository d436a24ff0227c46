import { z } from 'zod';
import { nodeSpec } from '../../../domain/flow/registry';

/**
 * The property panel is generated from each node type's zod params schema (through its JSON Schema), so
 * the designer never keeps a second copy of the flow language's rules. These are the pure parts: what kind
 * of field a schema is, the value a new node starts with, and zod issues keyed by field path.
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
}

export const FieldKind = {
  Object: 'object',
  Union: 'union',
  Enum: 'enum',
  String: 'string',
  Number: 'number',
  Integer: 'integer',
  Boolean: 'boolean',
  Array: 'array',
  Record: 'record',
  Unknown: 'unknown',
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

const cache = new Map<string, JsonSchema>();

/** The params schema of a node type as JSON Schema, as the API takes it (defaults optional). */
export function paramsSchema(type: string): JsonSchema | undefined {
  const hit = cache.get(type);
  if (hit) return hit;
  const spec = nodeSpec(type);
  if (!spec) return undefined;
  // Refinements (unique digits, valid regex) cannot be expressed in JSON Schema; safeParse still checks them.
  const schema = z.toJSONSchema(spec.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  cache.set(type, schema);
  return schema;
}

export function fieldKind(schema: JsonSchema): FieldKind {
  if (schema.oneOf || schema.anyOf) return FieldKind.Union;
  if (schema.enum) return FieldKind.Enum;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return schema.properties ? FieldKind.Object : FieldKind.Record;
    case 'string':
      return FieldKind.String;
    case 'number':
      return FieldKind.Number;
    case 'integer':
      return FieldKind.Integer;
    case 'boolean':
      return FieldKind.Boolean;
    case 'array':
      return FieldKind.Array;
    default:
      return FieldKind.Unknown;
  }
}

export const variantsOf = (schema: JsonSchema): JsonSchema[] => schema.oneOf ?? schema.anyOf ?? [];

/** The property whose `const` tells a discriminated union's variants apart (a prompt's `kind`). */
export function discriminator(schema: JsonSchema): string | undefined {
  const [first] = variantsOf(schema);
  return Object.entries(first?.properties ?? {}).find(([key]) =>
    variantsOf(schema).every((v) => v.properties?.[key]?.const !== undefined),
  )?.[0];
}

/** The variant a union's value is, by its discriminator (the first when it has none yet). */
export function variantOf(schema: JsonSchema, value: unknown): JsonSchema | undefined {
  const key = discriminator(schema);
  const variants = variantsOf(schema);
  if (!key) return variants[0];
  const tag = (value as Record<string, unknown> | undefined)?.[key];
  return variants.find((v) => v.properties?.[key]?.const === tag) ?? variants[0];
}

/**
 * What a new field starts as: the schema's default, else the smallest value of its shape. Required strings
 * start empty on purpose, so a new node shows what it still needs.
 */
export function defaultValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (schema.const !== undefined) return schema.const;
  switch (fieldKind(schema)) {
    case FieldKind.Object: {
      const out: Record<string, unknown> = {};
      // Defaults are filled in too, so the form shows what the node will do rather than blanks.
      for (const [key, child] of Object.entries(schema.properties ?? {}))
        if (schema.required?.includes(key) || child.default !== undefined) out[key] = defaultValue(child);
      return out;
    }
    case FieldKind.Union: {
      const first = variantsOf(schema)[0];
      return first ? defaultValue(first) : undefined;
    }
    case FieldKind.Enum:
      return schema.enum![0];
    case FieldKind.String:
      return '';
    case FieldKind.Number:
    case FieldKind.Integer:
      return schema.minimum ?? 0;
    case FieldKind.Boolean:
      return false;
    case FieldKind.Array:
      return Array.from({ length: schema.minItems ?? 0 }, () => defaultValue(schema.items ?? {}));
    case FieldKind.Record:
      return {};
    default:
      return undefined;
  }
}

/** Parameters of a new node of this type. */
export const defaultParams = (type: string): Record<string, unknown> => {
  const schema = paramsSchema(type);
  return (schema ? defaultValue(schema) : {}) as Record<string, unknown>;
};

/** The node type's own check of these params, as messages by dotted field path ('' for the whole). */
export function paramIssues(type: string, params: unknown): Map<string, string> {
  const issues = new Map<string, string>();
  const result = nodeSpec(type)?.params.safeParse(params);
  if (!result || result.success) return issues;
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join('.');
    if (!issues.has(key)) issues.set(key, issue.message);
  }
  return issues;
}

/** `value` with the field at `path` replaced (undefined removes it), copying only along the path. */
export function setAt(value: unknown, path: readonly (string | number)[], next: unknown): unknown {
  if (path.length === 0) return next;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const list = Array.isArray(value) ? [...(value as unknown[])] : [];
    list[head] = setAt(list[head], rest, next);
    return list;
  }
  const obj = { ...((value as Record<string, unknown> | undefined) ?? {}) };
  const child = setAt(obj[head!], rest, next);
  if (child === undefined) delete obj[head!];
  else obj[head!] = child;
  return obj;
}
