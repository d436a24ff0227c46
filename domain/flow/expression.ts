/**
 * The flow language's expressions, for `branch` conditions: literals, variables, comparison, `&&`, `||`,
 * `!` and parentheses. Parsed into a tree and evaluated by walking it — never `eval`, never Function().
 *
 *   caller.number == '5550100' && (attempts < 3 || vip)
 */
export type Expr =
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'variable'; name: string }
  | { kind: 'not'; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr };

export type BinaryOp = '&&' | '||' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export class ExpressionError extends Error {
  constructor(
    readonly source: string,
    readonly position: number,
    reason: string,
  ) {
    super(`${reason} at position ${position} of "${source}"`);
    this.name = 'ExpressionError';
  }
}

type Token = { type: 'num' | 'str' | 'ident' | 'op' | 'end'; text: string; pos: number };

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '(', ')'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', text: op, pos: i });
      i += op.length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ type: 'num', text: m[0], pos: i });
      i += m[0].length;
    } else if (c === "'" || c === '"') {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw new ExpressionError(source, i, 'unterminated string');
      tokens.push({ type: 'str', text: source.slice(i + 1, end), pos: i });
      i = end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(source.slice(i))!;
      tokens.push({ type: 'ident', text: m[0], pos: i });
      i += m[0].length;
    } else {
      throw new ExpressionError(source, i, `unexpected character '${c}'`);
    }
  }
  tokens.push({ type: 'end', text: '', pos: source.length });
  return tokens;
}

/** Precedence climbing: || binds loosest, then &&, then comparisons; ! and parentheses bind tightest. */
export function parseExpression(source: string): Expr {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (): Token => tokens[at]!;
  const take = (): Token => tokens[at++]!;
  const levels: BinaryOp[][] = [['||'], ['&&'], ['==', '!=', '<', '<=', '>', '>=']];

  const primary = (): Expr => {
    const t = take();
    if (t.type === 'num') return { kind: 'literal', value: Number(t.text) };
    if (t.type === 'str') return { kind: 'literal', value: t.text };
    if (t.type === 'ident') {
      if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true' };
      return { kind: 'variable', name: t.text };
    }
    if (t.text === '!') return { kind: 'not', operand: primary() };
    if (t.text === '(') {
      const inner = binary(0);
      if (take().text !== ')') throw new ExpressionError(source, t.pos, "missing ')'");
      return inner;
    }
    throw new ExpressionError(source, t.pos, t.type === 'end' ? 'unexpected end' : `unexpected '${t.text}'`);
  };

  const binary = (level: number): Expr => {
    if (level === levels.length) return primary();
    let left = binary(level + 1);
    while (peek().type === 'op' && levels[level]!.includes(peek().text as BinaryOp)) {
      const op = take().text as BinaryOp;
      // Comparisons do not chain: `a < b < c` is almost always a mistake.
      const right = binary(level + 1);
      left = { kind: 'binary', op, left, right };
      if (level === 2 && peek().type === 'op' && levels[2]!.includes(peek().text as BinaryOp)) {
        throw new ExpressionError(source, peek().pos, 'comparisons cannot be chained');
      }
    }
    return left;
  };

  const tree = binary(0);
  if (peek().type !== 'end') throw new ExpressionError(source, peek().pos, `unexpected '${peek().text}'`);
  return tree;
}

/** Every variable the expression reads. */
export function expressionVariables(expr: Expr, into = new Set<string>()): Set<string> {
  if (expr.kind === 'variable') into.add(expr.name);
  if (expr.kind === 'not') expressionVariables(expr.operand, into);
  if (expr.kind === 'binary') {
    expressionVariables(expr.left, into);
    expressionVariables(expr.right, into);
  }
  return into;
}

export type Value = string | number | boolean | undefined;

const truthy = (v: Value): boolean => v !== undefined && v !== false && v !== '' && v !== 0;

/** Compares numerically when both sides look like numbers (DTMF input arrives as strings). */
function compare(a: Value, b: Value): number {
  const na = typeof a === 'number' ? a : Number(a);
  const nb = typeof b === 'number' ? b : Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

export function evaluate(expr: Expr, variables: Readonly<Record<string, Value>>): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'variable':
      return variables[expr.name];
    case 'not':
      return !truthy(evaluate(expr.operand, variables));
    case 'binary': {
      if (expr.op === '&&')
        return truthy(evaluate(expr.left, variables)) && truthy(evaluate(expr.right, variables));
      if (expr.op === '||')
        return truthy(evaluate(expr.left, variables)) || truthy(evaluate(expr.right, variables));
      const c = compare(evaluate(expr.left, variables), evaluate(expr.right, variables));
      return { '==': c === 0, '!=': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[expr.op];
    }
  }
}

/** Whether a condition holds: what `branch` asks. Unset, '', 0 and false do not hold. */
export const holds = (expr: Expr, variables: Readonly<Record<string, Value>>): boolean =>
  truthy(evaluate(expr, variables));
