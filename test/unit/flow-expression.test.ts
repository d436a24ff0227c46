import { expressionVariables, holds, parseExpression } from '../../domain/flow/expression';
import { renderTemplate, templateVariables } from '../../domain/flow/template';

const run = (source: string, vars: Record<string, string | number | boolean> = {}) =>
  holds(parseExpression(source), vars);

describe('the expression language', () => {
  test.each([
    ["caller.number == '5550100'", { 'caller.number': '5550100' }, true],
    ['attempts < 3 || vip', { attempts: '3', vip: true }, true],
    ['attempts < 3 && !vip', { attempts: '2', vip: true }, false],
    ['(a == 1 || b == 2) && c', { a: '1', b: '0', c: 'yes' }, true],
    ['balance >= 100.5', { balance: '100.5' }, true],
    ["digits != ''", { digits: '' }, false],
    ['missing', {}, false],
    ["'10' > '9'", {}, true],
  ])('%s with %j is %s', (source, vars, expected) => {
    expect(run(source, vars)).toBe(expected);
  });

  test('numbers compare as numbers, DTMF strings included; other strings compare as text', () => {
    expect(run('x > 9', { x: '10' })).toBe(true);
    expect(run("name < 'bob'", { name: 'alice' })).toBe(true);
  });

  test('lists the variables it reads', () => {
    expect([...expressionVariables(parseExpression("a == 1 && !(b.c || d == 'e')"))].sort()).toEqual([
      'a',
      'b.c',
      'd',
    ]);
  });

  test.each([
    ['a ==', /unexpected end/],
    ["a == 'open", /unterminated string/],
    ['a < b < c', /cannot be chained/],
    ['(a', /missing '\)'/],
    ['a; process.exit()', /unexpected character ';'/],
    ['a b', /unexpected 'b'/],
  ])('rejects %s', (source, message) => {
    expect(() => parseExpression(source)).toThrow(message);
  });
});

describe('templates', () => {
  test('find and fill {{ placeholders }}', () => {
    expect(templateVariables('Hello {{ caller.name }}, you owe {{balance}}')).toEqual([
      'caller.name',
      'balance',
    ]);
    expect(renderTemplate('Owe {{balance}}{{none}}', { balance: 12 })).toBe('Owe 12');
  });
});
