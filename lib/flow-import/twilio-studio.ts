import { z } from 'zod';
import { SYSTEM_VARIABLES, type FlowDefinition } from '../../domain/flow/definition';
import { nodeSpec } from '../../domain/flow/registry';
import { WorkBudget } from '../../domain/work-budget';
import { LiquidTranslator } from './twilio-liquid';
import { nextOf, own, WIDGETS, type MappedNode } from './twilio-widgets';

const TwilioCondition = z.object({
  friendly_name: z.string().optional(),
  /** The tested value, a Liquid template: the same as the split's `input` in flows Studio saves. */
  arguments: z.array(z.string()).default([]),
  type: z.string().min(1),
  /** Absent for is_blank / is_not_blank; "any of" lists are comma-separated. */
  value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
});

const TwilioTransition = z.object({
  event: z.string().min(1),
  /** The state this event leads to; absent ends the execution. */
  next: z.string().nullish(),
  conditions: z.array(TwilioCondition).optional(),
});

const TwilioState = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
  properties: z.record(z.string(), z.unknown()).default({}),
  transitions: z.array(TwilioTransition).default([]),
});
export type TwilioState = z.infer<typeof TwilioState>;

/** One less than a flow's node limit: the shared `end` node may be needed too. */
const MAX_WIDGETS = 499;

/**
 * A Twilio Studio flow definition as Studio exports it (schema `studio/draft/2019-09/flow-definition`):
 * states (widgets) with their properties and transitions by event. Only the shape is checked; widget
 * properties are read leniently because Studio stores numbers and booleans as strings as often as not.
 */
export const TwilioStudioFlow = z
  .object({
    description: z.string().optional(),
    states: z
      .array(TwilioState)
      .min(1)
      .max(1000)
      .superRefine((states, ctx) => {
        const seen = new Set<string>();
        states.forEach((state, index) => {
          if (seen.has(state.name)) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `state ${state.name} appears twice`,
            });
          }
          seen.add(state.name);
        });
        if (states.filter((s) => s.type !== 'trigger').length > MAX_WIDGETS) {
          ctx.addIssue({
            code: 'custom',
            message: `at most ${MAX_WIDGETS} widgets besides the trigger: a flow has at most 500 nodes`,
          });
        }
      }),
    /** The trigger's name, usually `Trigger`. */
    initial_state: z.string().min(1).optional(),
    flags: z.object({ allow_concurrent_calls: z.boolean() }).partial().optional(),
  })
  .meta({ id: 'TwilioStudioFlow' });
export type TwilioStudioFlow = z.infer<typeof TwilioStudioFlow>;

export const IssueSeverity = {
  /** Left out: the widget became a `hangup` placeholder, or a path, condition or setting was dropped. */
  Unmapped: 'unmapped',
  /** Imported, but not quite as Twilio runs it; the message says what differs. */
  Approximated: 'approximated',
} as const;
export type IssueSeverity = (typeof IssueSeverity)[keyof typeof IssueSeverity];

/** Something of the Twilio flow that did not carry over exactly, by the state (widget) it is about. */
export const ImportIssue = z
  .object({
    state: z.string(),
    widgetType: z.string(),
    severity: z.enum([IssueSeverity.Unmapped, IssueSeverity.Approximated]),
    message: z.string(),
  })
  .meta({ id: 'FlowImportIssue' });
export type ImportIssue = z.infer<typeof ImportIssue>;

/** Where mappers report what they could not map, for the state being imported. */
export type IssueSink = (severity: IssueSeverity, message: string) => void;

/** What Twilio's SIDs and names are in CTICloud: the import cannot guess them. */
export interface TwilioImportOptions {
  /** Twilio subflow SID (`FW…`) → CTICloud flow id, for `run-subflow`. */
  subflows?: Readonly<Record<string, string>>;
  /** Queue name or TaskRouter workflow SID (`WW…`) → CTICloud queue id, for `enqueue-call` and `send-to-flex`. */
  queues?: Readonly<Record<string, string>>;
  /**
   * What the import may spend: a unit per state, transition, condition, template, Liquid tag, "any of" value
   * and report entry. @default a budget of {@link MAX_IMPORT_WORK}
   */
  budget?: WorkBudget;
}

/**
 * Units of work one import may spend. The gateway imports on its event loop, and every unit is cheap but not
 * free (~1-5 µs): this keeps the costliest imports within a few tens of ms (docs/benchmarks.md), far above
 * what large Studio flows need (a realistic 499-widget IVR spends about 2,900).
 */
export const MAX_IMPORT_WORK = 10_000;

export interface TwilioImport {
  definition: FlowDefinition;
  report: ImportIssue[];
}

/** The shared node every transition without a `next` leads to, as Twilio ends the execution there. */
const END = 'end';
const NODE_ID = /[^A-Za-z0-9_-]/g;

/** State names as node ids: sanitised, at most 64 characters, unique, never `end`. */
function nodeIds(names: string[]): Map<string, string> {
  const used = new Set<string>([END]);
  const ids = new Map<string, string>();
  // The next suffix to try per base: many names sharing a base do not each count up from 2 again.
  const suffix = new Map<string, number>();
  for (const name of names) {
    // Cut before replacing (the same result: one `_` per character): names are unbounded.
    const base = name.slice(0, 64).replace(NODE_ID, '_') || 'widget';
    let id = base;
    let n = suffix.get(base) ?? 2;
    for (; used.has(id); n++) id = `${base.slice(0, 63 - String(n).length)}_${n}`;
    suffix.set(base, n);
    used.add(id);
    ids.set(name, id);
  }
  return ids;
}

// Built once: zod compiles an object schema on first use, and building one per state made that most of an
// import's time (~70 ms of a 499-widget flow).
const Offset = z.object({ x: z.number(), y: z.number() });
const offsetOf = (state: TwilioState) => {
  const offset = Offset.safeParse(state.properties.offset);
  return offset.success ? offset.data : { x: 0, y: 0 };
};

type Node = FlowDefinition['nodes'][number];

/**
 * Converts a Twilio Studio flow into a CTICloud flow definition. Every node it emits has valid parameters for
 * its type; a widget that cannot be mapped becomes a `hangup` node labelled `Unmapped: <type> <name>` so the
 * designer shows the hole, and the report says what was left out or differs.
 *
 * @throws ZodError when `json` is not a Twilio Studio flow definition (see {@link TwilioStudioFlow}).
 * @throws WorkBudgetExceeded when the import would take more than its budget (`options.budget`).
 */
export function importTwilioStudio(json: unknown, options: TwilioImportOptions = {}): TwilioImport {
  return convertTwilioStudio(TwilioStudioFlow.parse(json), options);
}

/**
 * {@link importTwilioStudio} of a flow already parsed by {@link TwilioStudioFlow}, as the route's body is: a
 * megabyte of transitions takes 10-40 ms to parse, once is enough.
 *
 * @throws WorkBudgetExceeded when the import would take more than its budget (`options.budget`).
 */
export function convertTwilioStudio(flow: TwilioStudioFlow, options: TwilioImportOptions = {}): TwilioImport {
  const budget = options.budget ?? new WorkBudget('importing the flow', MAX_IMPORT_WORK);
  // The flow's size first: one too large is refused before any work on it.
  for (const state of flow.states) {
    budget.spend(1 + state.transitions.length);
    for (const t of state.transitions) budget.spend(t.conditions?.length ?? 0);
  }
  const report: ImportIssue[] = [];
  // The same reference in several prompts of one widget is one finding. Looked up, not searched for in the
  // report: a search per finding was quadratic in the findings (issue #13).
  const reported = new Map<string, Set<string>>();
  const sink = (state: string, widgetType: string): IssueSink => {
    const messages = reported.get(state) ?? new Set<string>();
    reported.set(state, messages);
    return (severity, message) => {
      budget.spend();
      if (messages.has(message)) return;
      messages.add(message);
      report.push({ state, widgetType, severity, message });
    };
  };

  const widgets = flow.states.filter((s) => s.type !== 'trigger');
  const ids = nodeIds(widgets.map((s) => s.name));
  let needsEnd = false;
  const target = (issue: IssueSink, name: string | undefined): string => {
    const id = name === undefined ? undefined : ids.get(name);
    if (id) return id;
    if (name !== undefined)
      issue('approximated', `the transition to ${name}, which is not a widget here, ends the call`);
    needsEnd = true;
    return END;
  };

  const triggers = flow.states.filter((s) => s.type === 'trigger');
  const trigger = triggers.find((t) => t.name === flow.initial_state) ?? triggers[0];
  let start: string;
  if (trigger) {
    const issue = sink(trigger.name, trigger.type);
    const call = nextOf(trigger, 'incomingCall');
    const parent = nextOf(trigger, 'incomingParent');
    for (const t of trigger.transitions) {
      if (t.next && t.event !== 'incomingCall' && !(t.event === 'incomingParent' && call === undefined)) {
        issue('unmapped', `the ${t.event} start is not imported: a flow starts on incoming calls only`);
      }
    }
    if (call === undefined && parent !== undefined) {
      issue(
        'approximated',
        'starts where the flow starts as a subflow (incomingParent): it has no incomingCall start',
      );
    } else if (call === undefined) {
      issue('unmapped', 'no incomingCall transition: the flow hangs up at once');
    }
    start = target(issue, call ?? parent);
  } else {
    const first = widgets.find((s) => s.name === flow.initial_state) ?? widgets[0];
    const issue = sink(flow.initial_state ?? '', 'trigger');
    issue('approximated', `no trigger widget: the flow starts at ${first?.name ?? 'its end'}`);
    start = target(issue, first?.name);
  }

  const liquid = new LiquidTranslator(budget);
  const mapped = widgets.map((state) => {
    const issue = sink(state.name, state.type);
    const mapper = own(WIDGETS, state.type);
    if (!mapper) issue('unmapped', `${state.type} widgets have no CTICloud equivalent`);
    return { state, issue, node: mapper?.(state, { options, liquid, issue }) };
  });

  // Second pass: a parsed field may be read before (in state order) the http widget that fetches it.
  for (const { state, node } of mapped) {
    const fields = liquid.responseFields.get(state.name);
    if (node?.type === 'http' && fields) {
      node.params.responseMap = [...fields].map(([path, variable]) => ({ variable, path }));
    }
  }

  const nodes: Node[] = [];
  const edges: FlowDefinition['edges'] = [];
  for (const { state, issue, node } of mapped) {
    const emitted = emit(ids.get(state.name)!, state, issue, node);
    nodes.push(emitted.node);
    for (const [exit, to] of emitted.exits)
      edges.push({ from: emitted.node.id, exit, to: target(issue, to) });
  }
  if (needsEnd) {
    const bottom = Math.max(0, ...nodes.map((n) => n.position.y));
    nodes.push({
      id: END,
      type: 'hangup',
      label: 'End',
      params: { reason: 'normal' },
      position: { x: 0, y: bottom + 250 },
    });
  }

  return {
    definition: { schemaVersion: 1, start, nodes, edges, variables: undeclared(nodes) },
    report,
  };
}

/**
 * The node for a state: the mapped one when its parameters pass its type's schema (defaults filled in),
 * else a placeholder, so the import never emits a node the designer or the interpreter would reject.
 */
function emit(
  id: string,
  state: TwilioState,
  issue: IssueSink,
  mapped: MappedNode | undefined,
): { node: Node; exits: [string, string | undefined][] } {
  const position = offsetOf(state);
  const spec = mapped && nodeSpec(mapped.type);
  const params = mapped && spec?.params.safeParse(mapped.params);
  if (mapped && spec && params?.success) {
    const data = params.data as Record<string, unknown>;
    return {
      node: { id, type: mapped.type, label: state.name.slice(0, 120), params: data, position },
      // The spec's exits, not the mapper's: an exit the mapper missed ends the call instead of dangling.
      exits: spec.exits(data).map((exit) => [exit, mapped.exits[exit]]),
    };
  }
  if (mapped && params && !params.success) {
    const first = params.error.issues[0];
    const where = first?.path.length ? `${first.path.join('.')}: ` : '';
    issue(
      'unmapped',
      `the ${mapped.type} node it maps to would be invalid (${where}${first?.message}), so it is left out`,
    );
  }
  const label = `Unmapped: ${state.type} ${state.name}`.slice(0, 120);
  return { node: { id, type: 'hangup', label, params: { reason: 'normal' }, position }, exits: [] };
}

/**
 * Variables read but not set on every exit of some node (a gather's digits, an http node's fields): Studio
 * reads those as '' when unset, so they are declared empty.
 */
function undeclared(nodes: Node[]): FlowDefinition['variables'] {
  const reads = new Set<string>();
  const writes = new Set<string>(SYSTEM_VARIABLES);
  for (const node of nodes) {
    const spec = nodeSpec(node.type)!;
    spec.reads(node.params).forEach((v) => reads.add(v));
    spec.writes(node.params).forEach((v) => writes.add(v));
  }
  return [...reads]
    .filter((v) => !writes.has(v) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v))
    .map((name) => ({ name, initial: '', secret: false }));
}
