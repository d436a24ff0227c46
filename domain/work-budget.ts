/**
 * Units of work one request may spend on a computation that grows with its input (importing, validating or
 * simulating a flow). Counted, not timed: the same input is refused the same way on every machine and under any
 * load, and tests can assert how the count grows with the input. Each use sets its limit to what stays within a
 * few tens of milliseconds of the gateway's event loop on its costliest input (issue #13, docs/benchmarks.md).
 */
export class WorkBudget {
  #spent = 0;

  /**
   * @param what What the work is, for the error: `importing the flow`.
   * @param limit Units it may spend. @default Infinity
   */
  constructor(
    readonly what: string,
    readonly limit = Infinity,
  ) {}

  /** Units spent so far, including the ones that went over the limit. */
  get spent(): number {
    return this.#spent;
  }

  /** @throws WorkBudgetExceeded when these units take it past its limit. */
  spend(units = 1): void {
    this.#spent += units;
    if (this.#spent > this.limit) throw new WorkBudgetExceeded(this.what, this.limit);
  }
}

/** The input needs more work than its budget allows: a client error, answered 4xx naming the input. */
export class WorkBudgetExceeded extends Error {
  constructor(
    readonly what: string,
    readonly limit: number,
  ) {
    super(`${what} takes more than ${limit} units of work`);
    this.name = 'WorkBudgetExceeded';
  }
}
