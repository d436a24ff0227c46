import { parseExpression } from '../../domain/flow/expression';
import { MAX_CONDITION_LENGTH } from '../../domain/flow/nodes/logic';
import { digitsVariable, isCallerNumber, variableName, type LiquidTranslator } from './twilio-liquid';
import type { IssueSink, TwilioImportOptions, TwilioState } from './twilio-studio';

/** A widget as a CTICloud node, before its parameters are checked against the node type's schema. */
export interface MappedNode {
  type: string;
  params: Record<string, unknown>;
  /** Each exit of the node with the Twilio state it leads to; undefined ends the call. */
  exits: Record<string, string | undefined>;
}

export interface WidgetContext {
  options: TwilioImportOptions;
  liquid: LiquidTranslator;
  issue: IssueSink;
}

/** Maps one widget; undefined (after reporting why) puts a placeholder in its place. */
type WidgetMapper = (state: TwilioState, ctx: WidgetContext) => MappedNode | undefined;

/** Where the event leads; Studio writes an unconnected event without `next` or with an empty one. */
export const nextOf = (state: TwilioState, event: string): string | undefined =>
  state.transitions.find((t) => t.event === event)?.next || undefined;

// Studio saves numbers and booleans as strings in many widgets ("timeout": "3600", "play_beep": "true").
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined;
const int = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.round(n) : undefined;
};
const flag = (v: unknown): boolean | undefined =>
  v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined;

/** A key's value, never one inherited from Object.prototype (`toString`, `constructor`). */
export const own = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  record && Object.hasOwn(record, key) ? record[key] : undefined;

/** The value within our limits, reporting when Twilio's was outside them. */
function bounded(value: number, min: number, max: number, what: string, ctx: WidgetContext): number {
  const within = Math.min(max, Math.max(min, value));
  if (within !== value)
    ctx.issue('approximated', `${what} ${value} is outside ${min}-${max}; ${within} is used`);
  return within;
}

/**
 * The target of the first of `events` that has one. Several Twilio events sharing one CTICloud exit is
 * reported when they led to different places, since all but one path is lost.
 */
function merged(
  state: TwilioState,
  ctx: WidgetContext,
  exit: string,
  ...events: string[]
): string | undefined {
  const targets = events.map((e) => [e, nextOf(state, e)] as const).filter(([, to]) => to !== undefined);
  const [first, ...others] = targets;
  for (const [event, to] of others) {
    if (to !== first![1]) {
      ctx.issue(
        'approximated',
        `${event} and ${first![0]} both become exit ${exit}; the path to ${to} is dropped`,
      );
    }
  }
  return first?.[1];
}

function language(state: TwilioState, ctx: WidgetContext): void {
  const lang = text(state.properties.language);
  if (lang && !/^en(-|$)/i.test(lang)) ctx.issue('approximated', `spoken by the en-us voice, not in ${lang}`);
}

const tts = (say: string, state: TwilioState, ctx: WidgetContext) => {
  language(state, ctx);
  return { kind: 'tts', text: ctx.liquid.template(say, ctx.issue), voice: 'en-us' };
};

const SILENCE = { kind: 'sound', name: 'silence/1' };

const sayPlay: WidgetMapper = (state, ctx) => {
  const p = state.properties;
  const exits = { next: nextOf(state, 'audioComplete') };
  const loop = int(p.loop);
  if (loop !== undefined && loop !== 1) {
    ctx.issue('approximated', `played once, not ${loop === 0 ? 'until the call ends' : `${loop} times`}`);
  }
  const say = text(p.say);
  if (say) return { type: 'play', params: { prompt: tts(say, state, ctx) }, exits };
  const play = text(p.play);
  if (play) {
    // Keeps the graph connected; the designer shows a second of silence to replace with an uploaded recording.
    ctx.issue(
      'unmapped',
      `the audio file ${play} is not imported: upload it as a recording; plays silence meanwhile`,
    );
    return { type: 'play', params: { prompt: SILENCE }, exits };
  }
  const digits = text(p.digits);
  if (digits) {
    ctx.issue('approximated', `Twilio sends ${digits} as DTMF tones; the digits are spoken instead`);
    const value = digits.includes('{{')
      ? ctx.liquid.template(digits, ctx.issue)
      : digits.replace(/[^0-9*#]/g, '');
    return { type: 'say', params: { as: 'digits', value }, exits };
  }
  ctx.issue('unmapped', 'says and plays nothing; plays silence');
  return { type: 'play', params: { prompt: SILENCE }, exits };
};

const gather: WidgetMapper = (state, ctx) => {
  const p = state.properties;
  let prompt: unknown;
  const say = text(p.say);
  const play = text(p.play);
  if (say) prompt = tts(say, state, ctx);
  else if (play) ctx.issue('unmapped', `the audio file ${play} is not imported: the gather has no prompt`);
  if (nextOf(state, 'speech'))
    ctx.issue('unmapped', 'speech input is not supported: the speech path is dropped');
  const finish = p.finish_on_key;
  let terminator = '#';
  if (typeof finish === 'string' && /^[0-9*#]$/.test(finish)) terminator = finish;
  else if (finish !== undefined) {
    const twilio = finish === '' ? 'Twilio had no finishing key' : `not ${JSON.stringify(finish)}`;
    ctx.issue('approximated', `# ends the input (${twilio})`);
  }
  const digits = int(p.number_of_digits);
  const timeout = int(p.timeout) ?? 5;
  const noInput = nextOf(state, 'timeout');
  return {
    type: 'gather',
    params: {
      ...(prompt ? { prompt } : {}),
      variable: digitsVariable(state.name),
      maxDigits: digits === undefined ? 32 : bounded(digits, 1, 32, 'number of digits', ctx),
      terminator,
      timeoutMs: bounded(timeout, 1, 60, 'timeout (s)', ctx) * 1000,
      // Twilio does not repeat a gather by itself: its flows loop explicitly.
      retries: 0,
    },
    exits: { valid: nextOf(state, 'keypress'), invalid: noInput, no_input: noInput },
  };
};

const split: WidgetMapper = (state, ctx) => {
  const conditions: { id: string; when: string }[] = [];
  const exits: Record<string, string | undefined> = { else: nextOf(state, 'noMatch') };
  // Conditions without arguments share the widget's input: read once, not once per condition (issue #13).
  const input = text(state.properties.input) ?? '';
  let inputSubject: string | undefined | null = null;
  const subjectOf = (argument: string | undefined) => {
    if (argument !== undefined) return ctx.liquid.reference(argument, ctx.issue);
    if (inputSubject === null) inputSubject = ctx.liquid.reference(input, ctx.issue);
    return inputSubject;
  };
  for (const t of state.transitions.filter((x) => x.event === 'match')) {
    const parts = (t.conditions ?? []).map((c) => {
      const subject = subjectOf(c.arguments[0]);
      const expr = subject && ctx.liquid.condition(subject, c.type, String(c.value ?? ''), ctx.issue);
      return { c, expr };
    });
    const when = parts.length > 1 ? parts.map((x) => `(${x.expr})`).join(' && ') : parts[0]?.expr;
    let valid = parts.length > 0 && parts.every((x) => x.expr) && when !== undefined;
    try {
      // A longer one is refused by the branch node's schema, which says why; parsing it is only work.
      if (valid && when!.length <= MAX_CONDITION_LENGTH) parseExpression(when!);
    } catch {
      valid = false;
    }
    if (!valid) {
      const what = parts.map((x) => x.c.friendly_name ?? `${x.c.type} ${x.c.value ?? ''}`.trim()).join(', ');
      ctx.issue(
        'unmapped',
        `condition "${what}" cannot be expressed; its path to ${t.next || 'the end'} is dropped`,
      );
      continue;
    }
    const id = `c${conditions.length + 1}`;
    conditions.push({ id, when: when! });
    exits[`when:${id}`] = t.next || undefined;
  }
  if (conditions.length === 0) {
    ctx.issue('unmapped', 'none of its conditions could be imported');
    return undefined;
  }
  return { type: 'branch', params: { conditions }, exits };
};

const setVariables: WidgetMapper = (state, ctx) => {
  const list = Array.isArray(state.properties.variables) ? state.properties.variables : [];
  const assignments = list.flatMap((v: { key?: unknown; value?: unknown }) => {
    const key = text(v?.key);
    if (!key) return [];
    const variable = variableName(key);
    if (variable !== key) ctx.issue('approximated', `flow variable ${key} is renamed ${variable}`);
    return [{ variable, value: ctx.liquid.template(String(v.value ?? ''), ctx.issue) }];
  });
  return { type: 'set', params: { assignments }, exits: { next: nextOf(state, 'next') } };
};

const FORM = 'application/x-www-form-urlencoded';

const httpRequest: WidgetMapper = (state, ctx) => {
  const p = state.properties;
  const method = (text(p.method) ?? 'GET').toUpperCase();
  let url = ctx.liquid.template(text(p.url) ?? '', ctx.issue);
  const contentType = (text(p.content_type) ?? FORM).split(';')[0]!.trim();
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (contentType === FORM) {
    const pairs = (Array.isArray(p.parameters) ? p.parameters : []).flatMap(
      (x: { key?: unknown; value?: unknown }) =>
        text(x?.key) ? [[String(x.key), ctx.liquid.template(String(x.value ?? ''), ctx.issue)] as const] : [],
    );
    const query = pairs.map(
      ([k, v]) => `${encodeURIComponent(k)}=${v.includes('{{') ? v : encodeURIComponent(v)}`,
    );
    if (pairs.some(([, v]) => v.includes('{{')) && method !== 'GET') {
      ctx.issue('approximated', 'variables in form parameters are sent as they are, not form-encoded');
    }
    if (method === 'GET' && query.length) url += `${url.includes('?') ? '&' : '?'}${query.join('&')}`;
    else if (query.length) body = query.join('&');
    if (body !== undefined) headers['Content-Type'] = FORM;
  } else {
    body = ctx.liquid.template(text(p.body) ?? '', ctx.issue) || undefined;
    if (body !== undefined) headers['Content-Type'] = contentType;
  }
  if (flag(p.add_twilio_auth)) {
    ctx.issue('unmapped', 'Twilio credentials are not sent: add an Authorization header to the node');
  }
  const failed = nextOf(state, 'failed');
  return {
    type: 'http',
    params: { method, url, headers, ...(body !== undefined ? { body } : {}) },
    // Twilio reports a timeout as failed: our separate timeout exit goes the same way.
    exits: { success: nextOf(state, 'success'), error: failed, timeout: failed },
  };
};

const connectCall: WidgetMapper = (state, ctx) => {
  const p = state.properties;
  const noun = text(p.noun) ?? 'number';
  let to: Record<string, string>;
  if (noun === 'number' || noun === 'number-multi') {
    // The first number and a count of them: a list of half a million is not split into strings to drop.
    const numbers = text(p.to) ?? '';
    const comma = numbers.indexOf(',');
    if (comma >= 0) {
      let count = 1;
      for (let at = comma; at >= 0; at = numbers.indexOf(',', at + 1)) count++;
      ctx.issue('approximated', `only the first of ${count} numbers is dialed`);
    }
    const number = (comma < 0 ? numbers : numbers.slice(0, comma)).trim();
    if (number.includes('{{')) {
      ctx.issue('unmapped', `dials ${number}, a variable: a transfer needs a fixed number`);
      return undefined;
    }
    to = { kind: 'number', number: number.replace(/[\s().-]/g, '') };
  } else if (noun === 'sip') {
    const uri = text(p.sip_endpoint) ?? text(p.to) ?? '';
    const address = /^sips?:([^;?>]+)/i.exec(uri.trim())?.[1] ?? uri.trim();
    ctx.issue(
      'approximated',
      `SIP URI ${uri} is dialed as PJSIP/${address}: check it names an Asterisk endpoint`,
    );
    to = { kind: 'sip', endpoint: `PJSIP/${address}` };
  } else {
    ctx.issue('unmapped', `connecting to a ${noun} has no CTICloud equivalent`);
    return undefined;
  }
  const callerId = text(p.caller_id);
  const literalCallerId = callerId && !callerId.includes('{{') ? callerId : undefined;
  if (callerId && !literalCallerId && !isCallerNumber(callerId)) {
    ctx.issue('approximated', `caller ID ${callerId} is not imported: the default caller ID is used`);
  }
  if (flag(p.record)) ctx.issue('approximated', 'the transferred call is not recorded');
  // Twilio's callCompleted follows every dial outcome, answered or not: so do all of ours.
  const after = merged(state, ctx, 'completed', 'callCompleted', 'hangup');
  return {
    type: 'transfer',
    params: {
      to,
      ...(literalCallerId ? { callerId: literalCallerId } : {}),
      ringSeconds: bounded(int(p.timeout) ?? 30, 5, 300, 'ring timeout (s)', ctx),
    },
    exits: { completed: after, busy: after, no_answer: after, failed: after },
  };
};

const recordVoicemail: WidgetMapper = (state, ctx) => {
  const p = state.properties;
  if (flag(p.transcribe)) ctx.issue('approximated', 'the voicemail is not transcribed');
  return {
    type: 'voicemail',
    params: {
      maxSeconds: bounded(int(p.max_length) ?? 3600, 5, 600, 'maximum length (s)', ctx),
      beep: flag(p.play_beep) ?? true,
    },
    exits: {
      recorded: nextOf(state, 'recordingComplete'),
      empty: merged(state, ctx, 'empty', 'noAudio', 'hangup'),
    },
  };
};

const runSubflow: WidgetMapper = (state, ctx) => {
  const sid = text(state.properties.flow_sid) ?? '';
  const flowId = own(ctx.options.subflows, sid);
  if (!flowId) {
    ctx.issue('unmapped', `subflow ${sid || '(none)'} has no CTICloud flow: map it in subflows to import it`);
    return undefined;
  }
  const parameters = Array.isArray(state.properties.parameters) ? state.properties.parameters : [];
  if (parameters.length) ctx.issue('approximated', 'parameters are not passed to the subflow');
  const revision = text(state.properties.flow_revision);
  if (revision && revision !== 'LatestPublished') {
    ctx.issue('approximated', `runs the version its rollout picks, not Twilio revision ${revision}`);
  }
  return {
    type: 'subflow',
    params: { flowId },
    exits: { next: merged(state, ctx, 'next', 'completed', 'failed') },
  };
};

/** `enqueue-call` and `send-to-flex`: both hand the caller to agents through a queue. */
const enqueue: WidgetMapper = (state, ctx) => {
  const p = state.properties;
  const keys = [p.queue_name, p.workflow_sid, p.workflow]
    .map(text)
    .filter((k): k is string => k !== undefined);
  const key = keys.find((k) => own(ctx.options.queues, k));
  if (!key) {
    ctx.issue(
      'unmapped',
      `queue ${keys[0] ?? '(none)'} has no CTICloud queue: map it in queues to import it`,
    );
    return undefined;
  }
  if (text(p.task_attributes) ?? text(p.attributes)) {
    ctx.issue('approximated', 'task attributes are not imported: route by skills on the queue node');
  }
  if (text(p.wait_url) ?? text(p.waitUrl)) ctx.issue('approximated', "hold music is the queue's own");
  const priority = int(p.priority);
  const timeout = int(p.timeout);
  return {
    type: 'queue',
    params: {
      queueId: own(ctx.options.queues, key),
      ...(priority !== undefined ? { priority: bounded(priority, 0, 100, 'priority', ctx) } : {}),
      ...(timeout !== undefined ? { maxWaitSec: bounded(timeout, 5, 86_400, 'timeout (s)', ctx) } : {}),
    },
    exits: {
      served: nextOf(state, 'callComplete'),
      overflow: merged(state, ctx, 'overflow', 'failedToEnqueue', 'callFailure'),
    },
  };
};

/** The widgets the import understands, by Twilio type; any other becomes a placeholder. */
export const WIDGETS: Readonly<Record<string, WidgetMapper>> = {
  'say-play': sayPlay,
  'gather-input-on-call': gather,
  'split-based-on': split,
  'set-variables': setVariables,
  'make-http-request': httpRequest,
  'connect-call-to': connectCall,
  'record-voicemail': recordVoicemail,
  'run-subflow': runSubflow,
  'enqueue-call': enqueue,
  'send-to-flex': enqueue,
};
