import { RE2JS } from 're2js';

/**
 * A gather node's pattern, matched by RE2 (the `re2js` port): time linear in the input whatever the
 * pattern, so no pattern a tenant writes can hold the gateway's event loop (simulate) or a worker (calls).
 * JavaScript's own RegExp backtracks: `^(\d|\d|\d|\d)*$` against 30 digits ran for minutes. RE2 syntax is
 * JavaScript's without backreferences and lookaround, which digit patterns do not need.
 */
const compiled = new Map<string, RE2JS | null>();
const MAX_CACHED = 500;

function compile(pattern: string): RE2JS | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch {
      re = null;
    }
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Why the pattern cannot be used, or undefined when it can. */
export function digitPatternProblem(pattern: string): string | undefined {
  return compile(pattern)
    ? undefined
    : 'not a valid pattern (RE2 syntax: regular expressions without backreferences or lookaround)';
}

/**
 * Whether the input matches (anywhere, like RegExp.test: anchor with ^ and $). A pattern RE2 cannot compile
 * (saved before patterns were checked with RE2) matches nothing: the input counts as invalid.
 */
export function matchesDigitPattern(pattern: string, input: string): boolean {
  return compile(pattern)?.test(input) ?? false;
}
