import { z } from 'zod';
import type { FlowDefinition } from '../domain/flow/definition';
import {
  FlowTooLong,
  initialVariables,
  runFlow,
  shownVariables,
  type FlowRun,
  type FlowStep,
} from '../domain/flow/interpreter';
import {
  CallerHungUp,
  type FlowPorts,
  type HttpResult,
  type LoadedFlow,
  type MediaItem,
  type QueueOverflow,
} from '../domain/flow/ports';
import { WorkBudget, WorkBudgetExceeded } from '../domain/work-budget';
import { urlAllowed } from './http-allowlist';

/**
 * Characters one simulation's templates may read and write (prompts, URLs, bodies, `set` values). A `set` node
 * can make a value 400 times longer at each step (`{{a}}{{a}}…`): three steps ran out of memory (a 500), and
 * 400 steps of large templates held the gateway's event loop for 2.3 s (issue #13). Twice the largest request.
 */
export const MAX_SIMULATION_TEXT = 2_000_000;

/** What the simulated caller and the stubbed world do. */
export const SimulationScript = z
  .object({
    caller: z
      .object({
        from: z.string().max(40).default('+15550100'),
        to: z.string().max(40).default(''),
      })
      .default({ from: '+15550100', to: '' }),
    /** The clock business-hours nodes see. @default now */
    at: z.iso.datetime({ offset: true }).optional(),
    /** What the caller types at each prompt that takes input, in order; '' is silence. */
    digits: z
      .array(z.string().regex(/^[0-9*#]*$/, 'digits, * and # only'))
      .max(500)
      .default([]),
    /** When the caller hangs up; with neither, the caller hangs up when `digits` runs out. */
    hangup: z
      .object({
        afterInputs: z.number().int().min(0).optional(),
        atNode: z.string().max(64).optional(),
      })
      .default({}),
    /** Responses for http nodes, used in order; `url` (a prefix) picks which requests one answers. */
    http: z
      .array(
        z.object({
          url: z.string().max(2000).optional(),
          status: z.number().int().min(100).max(599).default(200),
          body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).default(''),
          timeout: z.boolean().default(false),
        }),
      )
      .max(200)
      .default([]),
    transfers: z
      .array(z.enum(['completed', 'busy', 'no_answer', 'failed']))
      .max(100)
      .default([]),
    voicemails: z
      .array(z.enum(['recorded', 'empty']))
      .max(100)
      .default([]),
    queues: z
      .array(z.enum(['served', 'overflow']))
      .max(100)
      .default([]),
    /** Initial values for the flow's declared variables. */
    variables: z.record(z.string(), z.string().max(2000)).default({}),
  })
  .meta({ id: 'SimulationScript' });
export type SimulationScript = z.infer<typeof SimulationScript>;

export interface SimulationEvent {
  nodeId: string;
  kind: 'prompt' | 'input' | 'http' | 'transfer' | 'voicemail' | 'queue' | 'callback' | 'hangup';
  /** What was played, for prompts. */
  media?: MediaItem[];
  digits?: string;
  request?: { method: string; url: string; body?: string };
  outcome?: string;
}

export interface SimulationResult {
  path: FlowStep[];
  events: SimulationEvent[];
  variables: Record<string, string>;
  ended: { by: 'hangup_node' | 'end_of_flow' | 'caller' | 'error'; nodeId?: string; message?: string };
}

export interface SimulationEnv {
  tenantId: string;
  /** Hosts the tenant's http nodes may call: refused requests are refused in simulation too. */
  allowHosts: readonly string[];
  /** A published version of another flow, normalized. */
  loadFlow(flowId: string, version?: number): Promise<LoadedFlow | undefined>;
  /** A queue's own overflow target, followed when the flow leaves a queue node's overflow unconnected. */
  queueOverflow?(queueId: string): Promise<QueueOverflow | undefined>;
}

class SimulatedHangup extends CallerHungUp {}

/**
 * Runs a flow with the interpreter real calls use, against a script: the same handlers decide every exit,
 * only the ports are scripted. `flow.definition` must be normalized.
 */
export async function simulateFlow(
  flow: LoadedFlow,
  script: SimulationScript,
  env: SimulationEnv,
): Promise<SimulationResult> {
  const clock = script.at ? new Date(script.at) : new Date();
  const definition: FlowDefinition = flow.definition;
  const run: FlowRun = {
    variables: {
      ...initialVariables(definition, {
        from: script.caller.from,
        to: script.caller.to,
        callId: 'simulation',
        tenantId: env.tenantId,
      }),
      ...pick(
        script.variables,
        definition.variables.map((v) => v.name),
      ),
    },
    path: [],
  };
  const events: SimulationEvent[] = [];
  const here = () => run.currentNode ?? definition.start;
  const note = (event: Omit<SimulationEvent, 'nodeId'>) => events.push({ nodeId: here(), ...event });
  let inputs = 0;
  const stubs = [...script.http];
  const take = <T>(list: T[], fallback: T): T => (list.length ? list.shift()! : fallback);
  const transfers = [...script.transfers];
  const voicemails = [...script.voicemails];
  const queues = [...script.queues];
  const checkHangup = () => {
    if (script.hangup.atNode !== undefined && here() === script.hangup.atNode) throw new SimulatedHangup();
  };

  const ports: FlowPorts = {
    async play(media) {
      checkHangup();
      if (media.length) note({ kind: 'prompt', media });
    },
    async collect(request) {
      checkHangup();
      if (request.prompt.length) note({ kind: 'prompt', media: request.prompt });
      const limit = script.hangup.afterInputs ?? script.digits.length;
      if (inputs >= limit) throw new SimulatedHangup();
      const typed = script.digits[inputs++] ?? '';
      const cut = request.terminator ? typed.split(request.terminator)[0]! : typed;
      const digits = cut.slice(0, request.maxDigits);
      note({ kind: 'input', digits });
      return digits;
    },
    async hangup() {
      note({ kind: 'hangup' });
    },
    async http(request) {
      checkHangup();
      // The request as sent holds the values of the secrets it was templated with: the trace shows `***`.
      const hide = (text: string) => {
        const shown = shownVariables(run, definition);
        let out = text;
        for (const [name, value] of Object.entries(run.variables))
          if (shown[name] === '***' && value) out = out.split(value).join('***');
        return out;
      };
      note({
        kind: 'http',
        request: {
          method: request.method,
          url: hide(request.url),
          body: request.body === undefined ? undefined : hide(request.body),
        },
      });
      const verdict = urlAllowed(request.url, env.allowHosts);
      if (!verdict.ok) return { kind: 'error', message: verdict.reason, retryable: false };
      const index = stubs.findIndex((s) => !s.url || request.url.startsWith(s.url));
      if (index < 0)
        return { kind: 'error', message: 'no stubbed response for this request', retryable: false };
      const [stub] = stubs.splice(index, 1);
      const result: HttpResult = stub!.timeout
        ? { kind: 'timeout' }
        : {
            kind: 'response',
            status: stub!.status,
            body: typeof stub!.body === 'string' ? stub!.body : JSON.stringify(stub!.body),
          };
      return result;
    },
    async transfer() {
      checkHangup();
      const outcome = take(transfers, 'completed' as const);
      note({ kind: 'transfer', outcome });
      return outcome;
    },
    async record(request) {
      checkHangup();
      if (request.prompt.length) note({ kind: 'prompt', media: request.prompt });
      const outcome = take(voicemails, 'recorded' as const);
      note({ kind: 'voicemail', outcome });
      return outcome === 'recorded'
        ? { recordingId: '00000000-0000-4000-8000-000000000000', durationMs: 5000, callerHungUp: false }
        : { durationMs: 0, callerHungUp: false };
    },
    async queue() {
      checkHangup();
      const outcome = take(queues, 'overflow' as const);
      note({ kind: 'queue', outcome });
      return outcome;
    },
    async queueOverflow(queueId) {
      const overflow = await env.queueOverflow?.(queueId);
      note({
        kind: 'queue',
        outcome: `queue ${queueId} overflows to ${overflow ? overflow.kind : 'nothing'}`,
      });
      return overflow;
    },
    async createCallback({ queueId }) {
      note({ kind: 'callback', outcome: `queue ${queueId}` });
      return '00000000-0000-4000-8000-00000000000c';
    },
    renderBudget: new WorkBudget('rendering templates', MAX_SIMULATION_TEXT),
    // Every node gives the event loop a turn: the simulation shares the gateway with every other request.
    pace: () => new Promise((resolve) => setImmediate(resolve)),
    async loadFlow(flowId, version) {
      const loaded = await env.loadFlow(flowId, version);
      if (!loaded)
        throw new SimulationError(
          `subflow ${flowId} has no published version${version ? ` ${version}` : ''}`,
        );
      return loaded;
    },
    now: () => clock,
  };

  const masked = () => shownVariables(run, definition);
  let ended: SimulationResult['ended'];
  try {
    await runFlow(flow, ports, run);
    ended = { by: run.ending ?? 'end_of_flow', nodeId: run.currentNode };
  } catch (err) {
    if (err instanceof CallerHungUp) ended = { by: 'caller', nodeId: run.currentNode };
    else if (err instanceof FlowTooLong || err instanceof SimulationError) {
      ended = { by: 'error', nodeId: run.currentNode, message: err.message };
    } else if (err instanceof WorkBudgetExceeded) {
      const message = `flow stopped: its templates read and wrote more than ${err.limit} characters`;
      ended = { by: 'error', nodeId: run.currentNode, message };
    } else throw err;
  }
  return { path: run.path, events, variables: masked(), ended };
}

/** Something the simulated flow needs that does not exist (a subflow not published). */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}

const pick = (values: Record<string, string>, names: string[]) =>
  Object.fromEntries(
    names.filter((name) => Object.hasOwn(values, name)).map((name) => [name, values[name]!]),
  );
