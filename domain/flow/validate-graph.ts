import type { NodeSpec } from './nodes/spec';
import type { WorkBudget } from '../work-budget';

/** A node whose parameters passed its type's schema. */
export interface CheckedNode {
  index: number;
  id: string;
  spec: NodeSpec;
  params: unknown;
  exits: string[];
}

/** A read of a variable that some path to the node does not set. */
export interface UnsetRead {
  node: CheckedNode;
  variable: string;
}

/**
 * Must-be-set analysis: a variable is set on entry to a node only if every path from `start` to it sets it.
 * Iterates to the greatest fixpoint from "everything set", as before, but over bitsets of only the variables
 * that matter (read somewhere, written somewhere, not always set), sweeping in reverse postorder so a flow
 * without loops settles in one sweep. The previous version copied the set of every variable name per node and
 * predecessor on each round: 500 `set` nodes of 50 variables took 6-7 s and 770 MB (issue #13).
 *
 * Spends a unit per word of bitset touched and per node and edge visited; loops can take several sweeps, so
 * `budget` bounds the flows that need many.
 *
 * @param next Each node's exits and where they lead (invalid nodes have none).
 * @param reachable The nodes reachable from `start`, in the order problems are reported.
 * @param always Variables set before the first node runs: system and declared ones.
 * @param limit Reads listed at most; the rest are only counted. @default Infinity
 * @returns The first `limit` unset reads, node by node in `reachable`'s order, and how many there are.
 * @throws WorkBudgetExceeded when the analysis takes more than `budget` allows.
 */
export function unsetReads(
  start: string,
  nodes: ReadonlyMap<string, CheckedNode>,
  next: ReadonlyMap<string, ReadonlyMap<string, string>>,
  reachable: ReadonlySet<string>,
  always: ReadonlySet<string>,
  budget: WorkBudget,
  limit = Infinity,
): { unset: UnsetRead[]; count: number } {
  // Variables become numbers once, on first sight: the rest works on arrays, not on maps of names.
  const number = new Map<string, number>();
  const names: string[] = [];
  const numberOf = (variable: string): number => {
    let n = number.get(variable);
    if (n === undefined) number.set(variable, (n = names.push(variable) - 1));
    return n;
  };
  // What each node reads, once each and in order.
  const reads = new Map<string, number[]>();
  const readBy: number[] = [];
  for (const id of reachable) {
    const node = nodes.get(id);
    if (!node) continue;
    const read: number[] = [];
    for (const variable of node.spec.reads(node.params)) {
      const n = numberOf(variable);
      if (readBy[n] === node.index) continue;
      readBy[n] = node.index;
      read.push(n);
    }
    reads.set(id, read);
    budget.spend(1 + read.length);
  }
  // What each exit writes, of the variables something reads: the others cannot make a problem.
  const writesOn = new Map<string, Map<string, number[]>>();
  const written: boolean[] = [];
  for (const id of reachable) {
    const node = nodes.get(id);
    if (!node) continue;
    const byExit = new Map<string, number[]>();
    for (const exit of next.get(id)?.keys() ?? []) {
      const list = node.spec.writesOn?.(node.params, exit) ?? node.spec.writes(node.params);
      const numbers = list.flatMap((v) => number.get(v) ?? []);
      for (const n of numbers) written[n] = true;
      byExit.set(exit, numbers);
      budget.spend(1 + list.length);
    }
    writesOn.set(id, byExit);
  }
  const isAlways: boolean[] = [];
  for (const variable of always) {
    const n = number.get(variable);
    if (n !== undefined) isAlways[n] = true;
  }

  // Only variables read, not always set, and set somewhere can differ from node to node: each gets a bit.
  const bitOf = new Int32Array(number.size).fill(-1);
  let bits = 0;
  for (const read of reads.values()) {
    for (const n of read) if (!isAlways[n] && written[n] && bitOf[n] === -1) bitOf[n] = bits++;
  }
  const words = Math.ceil(bits / 32);

  const order = reversePostorder(start, next, reachable);
  const position = new Map(order.map((id, i) => [id, i]));
  const incoming = new Map<string, { from: string; gen: number[] }[]>(order.map((id) => [id, []]));
  for (const from of order) {
    for (const [exit, to] of next.get(from) ?? []) {
      const gen = (writesOn.get(from)?.get(exit) ?? []).map((n) => bitOf[n]!).filter((b) => b >= 0);
      incoming.get(to)?.push({ from, gen });
    }
  }

  // Set on entry: nothing at the start (its own loops do not change that), everything elsewhere until shown.
  const entry = new Map<string, Int32Array>(
    order.map((id) => [id, new Int32Array(words).fill(id === start ? 0 : -1)]),
  );
  const dirty = new Set(order.filter((id) => id !== start));
  const scratch = new Int32Array(words);
  const meet = new Int32Array(words);
  while (dirty.size) {
    for (const id of order) {
      if (!dirty.delete(id)) continue;
      meet.fill(-1);
      for (const { from, gen } of incoming.get(id)!) {
        scratch.set(entry.get(from)!);
        for (const b of gen) scratch[b >>> 5]! |= 1 << (b & 31);
        for (let w = 0; w < words; w++) meet[w]! &= scratch[w]!;
        budget.spend(1 + 2 * words + gen.length);
      }
      const current = entry.get(id)!;
      let changed = false;
      for (let w = 0; w < words; w++) {
        if (current[w] !== meet[w]) {
          current[w] = meet[w]!;
          changed = true;
        }
      }
      budget.spend(1 + words);
      if (!changed) continue;
      for (const to of next.get(id)?.values() ?? []) if (position.has(to) && to !== start) dirty.add(to);
    }
  }

  const unset: UnsetRead[] = [];
  let count = 0;
  for (const id of reachable) {
    const node = nodes.get(id);
    if (!node) continue;
    const set = entry.get(id)!;
    for (const n of reads.get(id)!) {
      if (isAlways[n]) continue;
      const b = bitOf[n]!;
      if (b !== -1 && set[b >>> 5]! & (1 << (b & 31))) continue;
      if (count++ < limit) unset.push({ node, variable: names[n]! });
    }
  }
  return { unset, count };
}

/**
 * Strongly connected components (Tarjan) that are cycles in which no node waits for the caller, each sorted
 * by node id.
 */
export function loopsWithoutInput(
  nodes: ReadonlyMap<string, CheckedNode>,
  successors: (id: string) => string[],
): string[][] {
  const loops: string[][] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  let counter = 0;
  const visit = (id: string): void => {
    index.set(id, counter);
    low.set(id, counter++);
    stack.push(id);
    onStack.add(id);
    for (const to of successors(id)) {
      if (!nodes.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(id, Math.min(low.get(id)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(id, Math.min(low.get(id)!, index.get(to)!));
      }
    }
    if (low.get(id) !== index.get(id)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== id);
    const cyclic = component.length > 1 || successors(id).includes(id);
    if (cyclic && !component.some((m) => nodes.get(m)!.spec.takesCallerInput)) loops.push(component.sort());
  };
  for (const id of nodes.keys()) if (!index.has(id)) visit(id);
  return loops;
}

/** Depth-first finishing order reversed: each node comes before its successors except along loops. */
function reversePostorder(
  start: string,
  next: ReadonlyMap<string, ReadonlyMap<string, string>>,
  reachable: ReadonlySet<string>,
): string[] {
  const order: string[] = [];
  if (!reachable.has(start)) return order;
  const seen = new Set<string>([start]);
  // Iterative: a 500-node chain would be 500 frames deep.
  const stack: { id: string; successors: Iterator<string> }[] = [
    { id: start, successors: (next.get(start)?.values() ?? [])[Symbol.iterator]() },
  ];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const step = top.successors.next();
    if (step.done) {
      order.push(top.id);
      stack.pop();
      continue;
    }
    const to = step.value;
    if (seen.has(to) || !reachable.has(to)) continue;
    seen.add(to);
    stack.push({ id: to, successors: (next.get(to)?.values() ?? [])[Symbol.iterator]() });
  }
  return order.reverse();
}
