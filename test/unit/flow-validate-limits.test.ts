/**
 * Issue #13: validating 500 `set` nodes of 50 variables took 6.2 s and 770 MB, and a draft of invalid nodes
 * answered 50,000 problems. Time is not asserted here (bench/flow-adversarial.ts times old against new): the
 * work budget's count is, the results are checked against a plain per-variable search, and the output is
 * bounded.
 */
import { nodeSpec } from '../../domain/flow/registry';
import { MAX_PROBLEMS, MAX_VALIDATION_WORK, validateFlow } from '../../domain/flow/validate';
import { WorkBudget } from '../../domain/work-budget';

type Node = { id: string; type: string; params: Record<string, unknown> };
const definition = (nodes: Node[], edges: [string, string, string][]) => ({
  schemaVersion: 1,
  start: nodes[0]!.id,
  nodes,
  edges: edges.map(([from, exit, to]) => ({ from, exit, to })),
});
const set = (id: string, assignments: [string, string][]): Node => ({
  id,
  type: 'set',
  params: { assignments: assignments.map(([variable, value]) => ({ variable, value })) },
});

const end: Node = { id: 'end', type: 'hangup', params: {} };
/** Each node's `next` to the one after it, the last one's to `end`. */
const chain = (nodes: Node[]) =>
  definition(
    [...nodes, end],
    nodes.map((n, i): [string, string, string] => [n.id, 'next', nodes[i + 1]?.id ?? 'end']),
  );

/**
 * The reviewer's draft at 500: `count` nodes, all but the last `set` nodes of 50 variables, each reading the
 * previous node's (~890 KB of JSON).
 */
const setChain = (count: number) =>
  chain(
    Array.from({ length: count - 1 }, (_, i) =>
      set(
        `n${i}`,
        Array.from({ length: 50 }, (_, j) => [`v${i}_${j}`, `{{v${Math.max(0, i - 1)}_${j}}}`]),
      ),
    ),
  );

test("the reviewer's 500 x 50 draft: right problems, within a fraction of the budget", () => {
  const budget = new WorkBudget('validating');
  const problems = validateFlow(setChain(500), { budget });
  // The first node reads its own variables; every later one reads what the node before it set.
  expect(problems.map((p) => `${p.code}@${p.nodeId}`)).toEqual(Array(50).fill('read_before_set@n0'));
  expect(budget.spent).toBeGreaterThan(100_000);
  expect(budget.spent).toBeLessThan(MAX_VALIDATION_WORK / 3);
});

test('twice the nodes (and variables) at most quadruples the counted work: a word per 32 variables per edge', () => {
  const spent = (count: number) => {
    const budget = new WorkBudget('validating');
    validateFlow(setChain(count), { budget });
    return budget.spent;
  };
  // One sweep for a flow without loops, edges × variables / 32 words (the old copies were nodes × variables
  // set entries per round).
  const [half, full] = [spent(250), spent(500)];
  expect(full / half).toBeGreaterThan(2);
  expect(full / half).toBeLessThan(4.2);
});

test('a check that would take more than its budget is one problem, not a long wait', () => {
  const problems = validateFlow(setChain(100), { budget: new WorkBudget('validating', 10_000) });
  expect(problems).toEqual([
    {
      code: 'too_complex',
      path: 'nodes',
      message: expect.stringMatching(/takes more than 10000 units of work/),
    },
  ]);
});

test('at most MAX_PROBLEMS are listed, and the last entry says how many more there are', () => {
  // 100 problems per node (a bad name and a value that is not a string, 50 times): nodes after the 11th
  // are not parsed at all.
  const invalid = definition(
    Array.from({ length: 500 }, (_, i) => ({
      id: `n${i}`,
      type: 'set',
      params: { assignments: Array(50).fill({ variable: '1', value: 1 }) },
    })),
    [],
  );
  const problems = validateFlow(invalid);
  expect(problems).toHaveLength(MAX_PROBLEMS + 1);
  expect(problems.at(-1)).toEqual({
    code: 'too_many_problems',
    path: '',
    message:
      '100 more problems are not listed; the parameters of 489 more nodes were not checked: fix these first',
  });
  // Reads of unset variables past the limit are counted, not made into problems.
  const reads = chain(
    Array.from({ length: 10 }, (_, i) =>
      set(`n${i}`, [[`w${i}`, Array.from({ length: 200 }, (_, k) => `{{u${i}_${k}}}`).join('')]]),
    ),
  );
  const unset = validateFlow(reads);
  expect(unset.filter((p) => p.code === 'read_before_set')).toHaveLength(MAX_PROBLEMS);
  expect(unset.at(-1)!.message).toMatch(/^1000 more problems are not listed: fix these first$/);
});

/** A small seeded generator: the same flows on every run. */
function random(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: T[]) => list[Math.floor(next() * list.length)]!,
  };
}

/** Read before set, by definition: a path from the start to the node on which no exit taken sets it. */
function unsetByPaths(flow: ReturnType<typeof definition>): string[] {
  const parsed = new Map(flow.nodes.map((n) => [n.id, nodeSpec(n.type)!.params.parse(n.params)]));
  const spec = (id: string) => nodeSpec(flow.nodes.find((n) => n.id === id)!.type)!;
  const writes = (id: string, exit: string) =>
    spec(id).writesOn?.(parsed.get(id), exit) ?? spec(id).writes(parsed.get(id));
  const found: string[] = [];
  for (const node of flow.nodes) {
    for (const variable of new Set(spec(node.id).reads(parsed.get(node.id)))) {
      const seen = new Set([flow.start]);
      const queue = [flow.start];
      while (queue.length) {
        const at = queue.shift()!;
        for (const e of flow.edges.filter((e) => e.from === at && !writes(at, e.exit).includes(variable))) {
          if (seen.has(e.to)) continue;
          seen.add(e.to);
          queue.push(e.to);
        }
      }
      if (seen.has(node.id) && !['caller.number', 'call.id'].includes(variable)) {
        found.push(`${node.id} ${variable}`);
      }
    }
  }
  return found.sort();
}

test('read-before-set agrees with a search of every path on 300 random flows', () => {
  const rng = random(13);
  const vars = ['a', 'b', 'c', 'd', 'caller.number'];
  const tts = () => ({ kind: 'tts', text: `{{${rng.pick(vars)}}} and {{${rng.pick(vars)}}}` });
  let unsetSeen = 0;
  for (let round = 0; round < 300; round++) {
    const count = 2 + rng.int(9);
    const nodes: Node[] = Array.from({ length: count }, (_, i) => {
      const id = `n${i}`;
      const kind = rng.int(5);
      if (kind === 0) return set(id, [[rng.pick(vars.slice(0, 4)), `{{${rng.pick(vars)}}}`]]);
      if (kind === 1)
        return {
          id,
          type: 'gather',
          params: { variable: rng.pick(vars.slice(0, 4)), maxDigits: 4, prompt: tts() },
        };
      if (kind === 2) {
        const responseMap = [{ variable: rng.pick(vars.slice(0, 4)), path: 'x' }];
        return { id, type: 'http', params: { url: `https://x/{{${rng.pick(vars)}}}`, responseMap } };
      }
      if (kind === 3) return { id, type: 'menu', params: { prompt: tts(), options: [{ digit: '1' }] } };
      return { id, type: 'play', params: { prompt: tts() } };
    });
    const edges: [string, string, string][] = [];
    for (const n of nodes) {
      const spec = nodeSpec(n.type)!;
      for (const exit of spec.exits(spec.params.parse(n.params)))
        edges.push([n.id, exit, `n${rng.int(count)}`]);
    }
    const flow = definition(nodes, edges);
    const reported = validateFlow(flow)
      .filter((p) => p.code === 'read_before_set')
      .map((p) => `${p.nodeId} ${/reads (\S+),/.exec(p.message)![1]}`)
      .sort();
    // Only nodes the start reaches are checked; the search reaches exactly those.
    expect([round, reported]).toEqual([round, unsetByPaths(flow)]);
    unsetSeen += reported.length;
  }
  expect(unsetSeen).toBeGreaterThan(100);
});
