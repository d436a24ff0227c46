/**
 * Issue #13: the import ran in time quadratic in its input (200 KB of `{{` took 11 s) and had no bound on its
 * work. Time is not asserted here (machines are noisy; bench/flow-adversarial.ts times old against new): the
 * work budget's count is, and the scan is checked against the pattern it replaced.
 */
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import errorHandler from '../../gateway/plugins/error-handler';
import flowImport from '../../gateway/routes/flows/import';
import { LiquidTranslator, replaceLiquid } from '../../lib/flow-import/twilio-liquid';
import { importTwilioStudio, MAX_IMPORT_WORK } from '../../lib/flow-import/twilio-studio';
import { WorkBudget, WorkBudgetExceeded } from '../../domain/work-budget';
import { largeStudioFlow } from './fixtures/twilio-studio-ivr';

const trigger = { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'w' }] };
const saying = (say: string) => ({ states: [trigger, { name: 'w', type: 'say-play', properties: { say } }] });
const matches = (count: number) => ({
  states: [
    trigger,
    {
      name: 'w',
      type: 'split-based-on',
      properties: { input: '{{flow.variables.x}}' },
      transitions: Array.from({ length: count }, () => ({
        event: 'match',
        next: 'w',
        conditions: [{ type: 'equal_to', value: 'x' }],
      })),
    },
  ],
});
/** What the import spends on `json` with no limit. */
const work = (json: unknown) => {
  const budget = new WorkBudget('importing');
  importTwilioStudio(json, { budget });
  return budget.spent;
};

test('the Liquid scan replaces exactly what the lazy pattern it replaced matched', () => {
  const pattern = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
  const mark = (whole: string, output?: string, tag?: string) =>
    `<${output === undefined ? `tag:${tag}` : `out:${output}`}|${whole.length}>`;
  // Every string of up to 7 characters over the characters that matter, and a few longer ones.
  const texts = [''];
  for (let length = 0, from = 0; length < 7; length++) {
    const to = texts.length;
    for (let i = from; i < to; i++) for (const c of '{}%a') texts.push(texts[i] + c);
    from = to;
  }
  texts.push('{{ a {% b }} c %}', '{%{{ x }}', '{{}}}', '{%}}', 'x{{y|z}}{%if%}{{', '{{ %}{% }}');
  const differing = texts.filter((text) => replaceLiquid(text, mark) !== text.replace(pattern, mark));
  expect(texts.length).toBeGreaterThan(20_000);
  expect(differing).toEqual([]);
});

test('200 KB of `{{` is one template of one unit and comes back as it was', () => {
  const curly = '{{'.repeat(100_000);
  const liquid = new LiquidTranslator();
  expect(liquid.template(curly, () => undefined)).toBe(curly);
  expect(liquid.budget.spent).toBe(1);
  // The whole import: the states, the template, no tag, and one finding: the prompt is too long to play.
  expect(work(saying(curly))).toBe(work(saying('{{')) + 1);
});

test('work grows with the references, not with their square', () => {
  const references = (n: number) =>
    saying(Array.from({ length: n }, (_, i) => `{{flow.data.field${i}}}`).join(' '));
  const [small, large] = [work(references(1000)), work(references(2000))];
  // A unit per tag and per finding, each reference being both: twice the references, twice the work.
  expect(large - small).toBe(2 * 1000);
  // Each reference's finding once, and the prompt being too long for a play node.
  const { report } = importTwilioStudio(references(3000));
  expect(report).toHaveLength(3001);
  expect(new Set(report.map((i) => i.message)).size).toBe(3001);
  expect(report[3000]!.message).toMatch(/the play node it maps to would be invalid/);
});

test('a finding repeated in one widget is reported once, in a second widget again', () => {
  const twice = {
    states: [
      trigger,
      { name: 'w', type: 'say-play', properties: { say: '{{flow.data.x}} {{flow.data.x}}'.repeat(30) } },
      { name: 'v', type: 'say-play', properties: { say: '{{flow.data.x}}' } },
    ],
  };
  const { report } = importTwilioStudio(twice);
  expect(report.map((i) => i.state)).toEqual(['w', 'v']);
});

test('a large realistic flow spends under a third of the budget', () => {
  const flow = largeStudioFlow();
  expect(flow.states.length).toBe(500);
  const spent = work(flow);
  expect(spent).toBeGreaterThan(1000);
  expect(spent).toBeLessThan(MAX_IMPORT_WORK / 3);
});

test('past the budget the import stops, counting the flow before translating any of it', () => {
  const budget = new WorkBudget('importing', MAX_IMPORT_WORK);
  expect(() => importTwilioStudio(matches(MAX_IMPORT_WORK), { budget })).toThrow(WorkBudgetExceeded);
  // Refused by the count of states, transitions and conditions: nothing was translated.
  expect(budget.spent).toBeLessThanOrEqual(2 * MAX_IMPORT_WORK + 2);
  const commas = {
    states: [
      trigger,
      {
        name: 'w',
        type: 'split-based-on',
        properties: { input: '{{flow.variables.x}}' },
        transitions: [
          { event: 'match', next: 'w', conditions: [{ type: 'matches_any_of', value: ','.repeat(1e6) }] },
        ],
      },
    ],
  };
  const list = new WorkBudget('importing', MAX_IMPORT_WORK);
  expect(() => importTwilioStudio(commas, { budget: list })).toThrow(WorkBudgetExceeded);
  expect(list.spent).toBe(MAX_IMPORT_WORK + 1);
});

test('the route answers a flow over the budget 400 naming the definition, before storing anything', async () => {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(errorHandler);
  await app.register(flowImport, { prefix: '/v1/flows' });
  const response = await app.inject({
    method: 'POST',
    url: '/v1/flows/import/twilio-studio',
    payload: { name: 'too large', definition: matches(MAX_IMPORT_WORK) },
  });
  expect(response.statusCode).toBe(400);
  expect(response.json().fields).toEqual([
    { field: 'body.definition', message: expect.stringMatching(/too large to import.*10000 units/) },
  ]);
  await app.close();
});
