/** `{{ name }}` placeholders in prompts, URLs and bodies. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

export function templateVariables(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function renderTemplate(text: string, variables: Readonly<Record<string, unknown>>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => String(variables[name] ?? ''));
}
