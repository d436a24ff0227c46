/**
 * The value at a dotted path (`account.balance`, `items.0.id`) of parsed JSON, as a flow variable: strings
 * as they are, other scalars and objects as JSON, '' when the path does not exist.
 */
export function readJsonPath(json: unknown, path: string): string {
  let value: unknown = json;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<string, unknown>)[key];
  }
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
