import type { z } from 'zod';
import { holds, parseExpression } from './expression';
import { isOpen } from './hours';
import type { FlowStep } from './interpreter';
import type { callback, gather, menu, voicemail } from './nodes/input';
import type { http, queue, transfer } from './nodes/integration';
import type { branch, hours, set, subflow } from './nodes/logic';
import type { hangup, play, say } from './nodes/media';
import type { Prompt } from './nodes/spec';
import { CallerHungUp, type FlowPorts, type MediaItem } from './ports';
import { matchesDigitPattern } from './digit-pattern';
import { readJsonPath } from './json-path';
import { renderTemplate } from './template';

/** What a handler answers instead of an exit when the flow does not go on to another node. */
export const NodeEnd = { HungUp: '!hung_up', Returned: '!returned' } as const;

/** What a node can touch while it runs. */
export interface NodeContext {
  ports: FlowPorts;
  /** The flow the node belongs to (a subflow's own id inside a subflow). */
  flow: { id: string; version: number };
  variables: Record<string, string>;
  /** Runs another published flow on this call; answers how it left. */
  runSubflow(flowId: string, version?: number): Promise<'hung_up' | 'returned'>;
  /** Whether this node's exit leads to another node (optional exits may not). */
  connected(exit: string): boolean;
}

/** Runs a node; answers the exit to take, or a NodeEnd. */
type Handler<S extends { params: z.ZodType }> = (
  params: z.infer<S['params']>,
  ctx: NodeContext & { step: FlowStep },
) => Promise<string>;
type AnyHandler = Handler<{ params: z.ZodType }>;

/** A node's prompt as something to play; TTS text is rendered with the call's variables. */
function resolve(prompt: Prompt | undefined, { variables, ports }: NodeContext): MediaItem[] {
  if (!prompt) return [];
  if (prompt.kind === 'tts') {
    const text = renderTemplate(prompt.text, variables, undefined, ports.renderBudget);
    return [{ kind: 'tts', text, voice: prompt.voice }];
  }
  return [prompt];
}

/** A template rendered with the call's variables, within the run's render budget. */
const render = ({ variables, ports }: NodeContext, text: string, escape?: (value: string) => string) =>
  renderTemplate(text, variables, escape, ports.renderBudget);

const playNode: Handler<typeof play> = async (p, ctx) => {
  await ctx.ports.play(resolve(p.prompt, ctx));
  return 'next';
};

const sayNode: Handler<typeof say> = async (p, ctx) => {
  const { ports, step } = ctx;
  const raw = render(ctx, p.value).trim();
  const value = p.as === 'date' ? normalizeDate(raw) : raw.replace(/[^0-9]/g, '');
  // Nothing sayable (an empty variable, a malformed date) is skipped rather than failing the call.
  if (value) await ports.play([{ kind: p.as, value }]);
  else step.detail = { skipped: `nothing to say in "${raw}"` };
  return 'next';
};

/** YYYY-MM-DD (a full ISO timestamp is cut to its date), or '' when it is not a real date. */
function normalizeDate(raw: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw);
  if (!match) return '';
  const date = new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(match[3]) ? '' : match[0];
}

const menuNode: Handler<typeof menu> = async (p, ctx) => {
  const { ports } = ctx;
  for (let attempt = 0; ; attempt++) {
    // No terminator: '#' and '*' can be menu options.
    const digit = await ports.collect({
      prompt: resolve(p.prompt, ctx),
      maxDigits: 1,
      terminator: '',
      timeoutMs: p.timeoutMs,
    });
    const outcome = !digit
      ? 'no_input'
      : p.options.some((o) => o.digit === digit)
        ? `option:${digit}`
        : 'invalid';
    if (outcome.startsWith('option:') || attempt >= p.retries) return outcome;
    const apology = outcome === 'invalid' ? p.invalidPrompt : p.noInputPrompt;
    if (apology) await ports.play(resolve(apology, ctx));
  }
};

const gatherNode: Handler<typeof gather> = async (p, ctx) => {
  const { ports, variables } = ctx;
  for (let attempt = 0; ; attempt++) {
    const digits = await ports.collect({
      prompt: resolve(p.prompt, ctx),
      maxDigits: p.maxDigits,
      terminator: p.terminator,
      timeoutMs: p.timeoutMs,
    });
    const valid = digits.length >= p.minDigits && (!p.pattern || matchesDigitPattern(p.pattern, digits));
    if (valid) {
      variables[p.variable] = digits;
      return 'valid';
    }
    if (attempt >= p.retries) return digits ? 'invalid' : 'no_input';
  }
};

const setNode: Handler<typeof set> = async (p, ctx) => {
  for (const { variable, value } of p.assignments) ctx.variables[variable] = render(ctx, value);
  return 'next';
};

const branchNode: Handler<typeof branch> = async (p, { variables }) => {
  const taken = p.conditions.find((c) => holds(parseExpression(c.when), variables));
  return taken ? `when:${taken.id}` : 'else';
};

const hoursNode: Handler<typeof hours> = async (p, { ports }) => (isOpen(p, ports.now()) ? 'open' : 'closed');

const httpNode: Handler<typeof http> = async (p, ctx) => {
  const { ports, variables, step } = ctx;
  const request = {
    method: p.method,
    url: render(ctx, p.url, encodeURIComponent),
    headers: Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k, render(ctx, v)])),
    body: p.body === undefined ? undefined : render(ctx, p.body),
    timeoutMs: p.timeoutMs,
  };
  for (let attempt = 0; ; attempt++) {
    const result = await ports.http(request);
    const last = attempt >= p.retries;
    if (result.kind === 'timeout') {
      step.detail = { outcome: 'timeout', attempts: String(attempt + 1) };
      if (last) return 'timeout';
      continue;
    }
    if (result.kind === 'error') {
      step.detail = { outcome: 'error', error: result.message, attempts: String(attempt + 1) };
      if (last || !result.retryable) return 'error';
      continue;
    }
    step.detail = { status: String(result.status), attempts: String(attempt + 1) };
    if (result.status < 200 || result.status > 299) {
      // Only the server's own trouble is worth another try; a 4xx answers the same again.
      if (last || !(result.status >= 500 || result.status === 429)) return 'error';
      continue;
    }
    if (p.responseMap.length === 0) return 'success';
    let json: unknown;
    try {
      json = JSON.parse(result.body);
    } catch {
      step.detail.error = 'the response is not JSON';
      return 'error';
    }
    for (const { variable, path } of p.responseMap) variables[variable] = readJsonPath(json, path);
    return 'success';
  }
};

/** Queues an unconnected overflow may pass through by the queues' own settings: a cycle ends, too. */
const MAX_OVERFLOW_HOPS = 3;
const CALLBACK_OFFER: MediaItem = {
  kind: 'tts',
  text: 'All of our agents are still busy. To be called back when it is your turn, press 1.',
  voice: 'en-us',
};
const CALLBACK_CONFIRMED: MediaItem = {
  kind: 'tts',
  text: 'Thank you. We will call you back.',
  voice: 'en-us',
};

const queueNode: Handler<typeof queue> = async (p, ctx) => {
  const { ports, step, variables } = ctx;
  let queueId = p.queueId;
  const first = await ports.queue({
    queueId,
    priority: p.priority,
    skills: p.skills,
    maxWaitSec: p.maxWaitSec,
  });
  if (first === 'served' || ctx.connected('overflow')) return first;
  // The flow leaves overflow to the queue: follow the queue's own overflow target.
  for (let hop = 0; hop < MAX_OVERFLOW_HOPS; hop++) {
    const overflow = await ports.queueOverflow(queueId);
    if (!overflow) return 'overflow';
    step.detail = {
      ...step.detail,
      [`overflow${hop + 1}`]: `${overflow.kind}${overflow.target ? ` ${overflow.target}` : ''}`,
    };
    if (overflow.kind === 'queue') {
      if (!overflow.target) return 'overflow';
      queueId = overflow.target;
      // The node's skills were asked of its own queue; the next queue routes by its own.
      const next = await ports.queue({ queueId, priority: p.priority, skills: [] });
      if (next === 'served') return 'served';
      continue;
    }
    if (overflow.kind === 'voicemail') {
      const { recordingId, callerHungUp } = await ports.record({
        prompt: [{ kind: 'sound', name: 'vm-intro' }],
        maxSeconds: 120,
        beep: true,
        ticketQueue: overflow.target ?? queueId,
        source: { flowId: ctx.flow.id, nodeId: step.nodeId },
      });
      if (recordingId) step.detail = { ...step.detail, recordingId };
      if (callerHungUp) throw new CallerHungUp();
      await ports.hangup('normal');
      return NodeEnd.HungUp;
    }
    if (overflow.kind === 'callback') {
      const digit = await ports.collect({
        prompt: [CALLBACK_OFFER],
        maxDigits: 1,
        terminator: '',
        timeoutMs: 5000,
      });
      if (digit === '1') {
        const callbackId = await ports.createCallback({ queueId, number: variables['caller.number'] ?? '' });
        step.detail = { ...step.detail, callbackId };
        await ports.play([CALLBACK_CONFIRMED]);
      }
      await ports.hangup('normal');
      return NodeEnd.HungUp;
    }
    if (!overflow.target) return 'overflow';
    // A flow: it runs like a subflow; when it returns, this unconnected exit ends the call.
    return (await ctx.runSubflow(overflow.target)) === 'hung_up' ? NodeEnd.HungUp : 'overflow';
  }
  return 'overflow';
};

const transferNode: Handler<typeof transfer> = async (p, { ports }) =>
  ports.transfer({ to: p.to, callerId: p.callerId, ringSeconds: p.ringSeconds });

const voicemailNode: Handler<typeof voicemail> = async (p, ctx) => {
  const { ports, step, flow } = ctx;
  const { recordingId, durationMs, callerHungUp } = await ports.record({
    prompt: resolve(p.prompt, ctx),
    maxSeconds: p.maxSeconds,
    beep: p.beep,
    ticketQueue: p.ticketQueue,
    source: { flowId: flow.id, nodeId: step.nodeId },
  });
  step.detail = { durationMs: String(durationMs), ...(recordingId ? { recordingId } : {}) };
  if (callerHungUp) throw new CallerHungUp();
  return recordingId ? 'recorded' : 'empty';
};

const callbackNode: Handler<typeof callback> = async (p, ctx) => {
  const { ports, variables, step } = ctx;
  const digit = await ports.collect({
    prompt: resolve(p.prompt, ctx),
    maxDigits: 1,
    terminator: '',
    timeoutMs: 5000,
  });
  if (digit !== p.acceptDigit) return 'declined';
  const callbackId = await ports.createCallback({
    queueId: p.queueId,
    number: variables['caller.number'] ?? '',
  });
  step.detail = { callbackId };
  return 'accepted';
};

const subflowNode: Handler<typeof subflow> = async (p, { runSubflow }) =>
  (await runSubflow(p.flowId, p.version)) === 'hung_up' ? NodeEnd.HungUp : 'next';

const returnNode: AnyHandler = async () => NodeEnd.Returned;

const hangupNode: Handler<typeof hangup> = async (p, { ports }) => {
  await ports.hangup(p.reason);
  return NodeEnd.HungUp;
};

/** Handlers by node type; `runnable.ts` says which configurations of them can run. */
export const HANDLERS: Record<string, AnyHandler> = {
  play: playNode as AnyHandler,
  say: sayNode as AnyHandler,
  menu: menuNode as AnyHandler,
  gather: gatherNode as AnyHandler,
  set: setNode as AnyHandler,
  branch: branchNode as AnyHandler,
  http: httpNode as AnyHandler,
  hours: hoursNode as AnyHandler,
  queue: queueNode as AnyHandler,
  transfer: transferNode as AnyHandler,
  voicemail: voicemailNode as AnyHandler,
  callback: callbackNode as AnyHandler,
  subflow: subflowNode as AnyHandler,
  return: returnNode,
  hangup: hangupNode as AnyHandler,
};
