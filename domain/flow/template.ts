/** `{{ name }}` placeholders in prompts, URLs and bodies. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

export function templateVariables(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/**
 * Fills the placeholders. `escape` applies to the values only, e.g. `encodeURIComponent` in a URL, so a
 * caller's input cannot change the URL's path or query structure.
 */
export function renderTemplate(
  text: string,
  variables: Readonly<Record<string, unknown>>,
  escape: (value: string) => string = (v) => v,
): string {
  return text.replace(PLACEHOLDER, (_, name: string) => escape(String(variables[name] ?? '')));
}
