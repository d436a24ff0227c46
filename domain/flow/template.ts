import type { WorkBudget } from '../work-budget';

/** `{{ name }}` placeholders in prompts, URLs and bodies. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

export function templateVariables(text: string): string[] {
  // An exec loop, not matchAll: matchAll copies the pattern on every call, which made reading the variables of
  // 25,000 short values about a third of what validating them took (issue #13).
  const names: string[] = [];
  PLACEHOLDER.lastIndex = 0;
  for (let m = PLACEHOLDER.exec(text); m; m = PLACEHOLDER.exec(text)) names.push(m[1]!);
  return names;
}

/**
 * Fills the placeholders. `escape` applies to the values only, e.g. `encodeURIComponent` in a URL, so a
 * caller's input cannot change the URL's path or query structure.
 *
 * @param budget Spent a unit per character of `text` and of each value put in, before it is put in.
 * @throws WorkBudgetExceeded when `budget` runs out.
 */
export function renderTemplate(
  text: string,
  variables: Readonly<Record<string, unknown>>,
  escape: (value: string) => string = (v) => v,
  budget?: WorkBudget,
): string {
  budget?.spend(text.length);
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = escape(String(variables[name] ?? ''));
    budget?.spend(value.length);
    return value;
  });
}
