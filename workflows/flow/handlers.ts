import type { z } from 'zod';
import { ariCommand, mediaWait, speech } from '../activity-profiles';
import { holds, parseExpression } from './expression';
import type { gather, menu } from './nodes/input';
import { isOpen } from './hours';
import type { branch, hours, set } from './nodes/logic';
import type { play, say } from './nodes/media';
import type { Prompt } from './nodes/spec';
import { renderTemplate } from './template';

/** The caller hung up while a node was running: the flow ends where it was. */
export class CallerHungUp extends Error {
  constructor() {
    super('the caller hung up');
    this.name = 'CallerHungUp';
  }
}

/** What a node can touch while it runs: the channel, the event cursor and the variables. */
export interface FlowRuntime {
  channel: { channelId: string; node: string };
  /** Stream sequence from which the next digit collection reads: digits typed ahead are kept. */
  cursor: number;
  variables: Record<string, string>;
}

/** Runs a node; answers the exit to take, or undefined when the call has ended. */
type Handler<S extends { params: z.ZodType }> = (
  params: z.infer<S['params']>,
  rt: FlowRuntime,
) => Promise<string | undefined>;

/** What Asterisk plays for a prompt; TTS text is rendered with the call's variables, then spoken once. */
async function media(prompt: Prompt, rt: FlowRuntime): Promise<string[]> {
  if (prompt.kind === 'sound') return [`sound:${prompt.name}`];
  if (prompt.kind === 'tts') {
    const { media: spoken } = await speech.synthesizeSpeech({
      text: renderTemplate(prompt.text, rt.variables),
      voice: prompt.voice,
    });
    return [spoken];
  }
  return [];
}

async function playMedia(items: string[], rt: FlowRuntime): Promise<void> {
  const { outcome } = await mediaWait.playMedia({ ...rt.channel, fromSeq: rt.cursor, media: items });
  if (outcome === 'hangup') throw new CallerHungUp();
}

async function collect(
  rt: FlowRuntime,
  options: { prompt?: Prompt; maxDigits: number; terminator: string; timeoutMs: number },
): Promise<string> {
  const result = await mediaWait.collectDigits({
    ...rt.channel,
    fromSeq: rt.cursor,
    prompt: options.prompt ? await media(options.prompt, rt) : [],
    maxDigits: options.maxDigits,
    terminator: options.terminator,
    firstDigitTimeoutMs: options.timeoutMs,
    interDigitTimeoutMs: options.timeoutMs,
  });
  rt.cursor = result.nextSeq;
  if (result.endedBy === 'hangup') throw new CallerHungUp();
  return result.digits;
}

const playNode: Handler<typeof play> = async (p, rt) => {
  await playMedia(await media(p.prompt, rt), rt);
  return 'next';
};

const sayNode: Handler<typeof say> = async (p, rt) => {
  const value = renderTemplate(p.value, rt.variables).replace(/[^0-9]/g, '');
  if (value) await playMedia([`${p.as === 'digits' ? 'digits' : 'number'}:${value}`], rt);
  return 'next';
};

const menuNode: Handler<typeof menu> = async (p, rt) => {
  for (let attempt = 0; ; attempt++) {
    // No terminator: '#' and '*' can be menu options.
    const digit = await collect(rt, {
      prompt: p.prompt,
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
    if (apology) await playMedia(await media(apology, rt), rt);
  }
};

const gatherNode: Handler<typeof gather> = async (p, rt) => {
  for (let attempt = 0; ; attempt++) {
    const digits = await collect(rt, {
      prompt: p.prompt,
      maxDigits: p.maxDigits,
      terminator: p.terminator,
      timeoutMs: p.timeoutMs,
    });
    const valid = digits.length >= p.minDigits && (!p.pattern || new RegExp(p.pattern).test(digits));
    if (valid) {
      rt.variables[p.variable] = digits;
      return 'valid';
    }
    if (attempt >= p.retries) return digits ? 'invalid' : 'no_input';
  }
};

const setNode: Handler<typeof set> = async (p, rt) => {
  for (const { variable, value } of p.assignments)
    rt.variables[variable] = renderTemplate(value, rt.variables);
  return 'next';
};

const branchNode: Handler<typeof branch> = async (p, rt) => {
  const taken = p.conditions.find((c) => holds(parseExpression(c.when), rt.variables));
  return taken ? `when:${taken.id}` : 'else';
};

// Date.now() in workflow code is the workflow task's time: the same on replay.
const hoursNode: Handler<typeof hours> = async (p) => (isOpen(p, new Date()) ? 'open' : 'closed');

const hangupNode: Handler<{ params: z.ZodType }> = async (_p, rt) => {
  await ariCommand.hangup(rt.channel);
  return undefined;
};

/** Handlers by node type; `runnable.ts` says which configurations of them can run. */
export const HANDLERS: Record<string, Handler<{ params: z.ZodType }>> = {
  play: playNode as Handler<{ params: z.ZodType }>,
  say: sayNode as Handler<{ params: z.ZodType }>,
  menu: menuNode as Handler<{ params: z.ZodType }>,
  gather: gatherNode as Handler<{ params: z.ZodType }>,
  set: setNode as Handler<{ params: z.ZodType }>,
  branch: branchNode as Handler<{ params: z.ZodType }>,
  hours: hoursNode as Handler<{ params: z.ZodType }>,
  hangup: hangupNode,
};
