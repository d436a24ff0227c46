import { WorkBudget } from '../../domain/work-budget';
import type { IssueSeverity, IssueSink } from './twilio-studio';

/** Twilio call variables every CTICloud call has under another name (`SYSTEM_VARIABLES`). */
const CALL_VARIABLES: Readonly<Record<string, string>> = {
  'trigger.call.From': 'caller.number',
  'trigger.call.Caller': 'caller.number',
  'contact.channel.address': 'caller.number',
  'trigger.call.CallerName': 'caller.name',
  'trigger.call.To': 'call.to',
  'trigger.call.Called': 'call.to',
  'flow.channel.address': 'call.to',
  'trigger.call.CallSid': 'call.id',
};

/** Whether a template is just the caller's own number, as Studio's default caller ID is. */
export function isCallerNumber(template: string): boolean {
  const reference = /^\{\{\s*([A-Za-z_.]+)\s*\}\}$/.exec(template.trim())?.[1];
  return reference !== undefined && CALL_VARIABLES[reference] === 'caller.number';
}

/** `widgets.http_1.parsed.items[0].name`: dotted names with optional index or quoted-key brackets. */
const REFERENCE = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+|\[(?:[0-9]+|'[^']*'|"[^"]*")\])*$/;
const RESPONSE_PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const PLAIN_NUMBER = /^[0-9]+(\.[0-9]+)?$/;

/** A Twilio name as a CTICloud variable name: letters, digits and _, not starting with a digit. */
export function variableName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** The variable a gather node sets, standing in for Twilio's `widgets.<name>.Digits`. */
export const digitsVariable = (widget: string): string => variableName(`${widget}_digits`);

const SEGMENT = /([A-Za-z0-9_-]+)|\[([0-9]+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
/** A reference's names and indexes. An exec loop: matchAll copies the pattern on every call. */
function segments(reference: string): string[] {
  const found: string[] = [];
  SEGMENT.lastIndex = 0;
  for (let m = SEGMENT.exec(reference); m; m = SEGMENT.exec(reference)) {
    found.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  }
  return found;
}

/**
 * Each `{{ output }}` and `{% tag %}` of `text` replaced, left to right, each closed by the first `}}` or `%}`
 * after it: what the lazy pattern `/\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g` matched. Scanned instead,
 * because that pattern tried every `{{` against the rest of the text when nothing closed it: 200 KB of `{{`
 * took 11 s (issue #13). Here each character is looked at a bounded number of times.
 */
export function replaceLiquid(
  text: string,
  replace: (whole: string, output: string | undefined, tag: string | undefined) => string,
): string {
  let out = '';
  let copied = 0;
  let output = text.indexOf('{{');
  let tag = text.indexOf('{%');
  while (output >= 0 || tag >= 0) {
    const isOutput = tag < 0 || (output >= 0 && output < tag);
    const open = isOutput ? output : tag;
    const close = text.indexOf(isOutput ? '}}' : '%}', open + 2);
    if (close < 0) {
      // Nothing closes this one, so nothing closes any later one of its kind either.
      if (isOutput) output = -1;
      else tag = -1;
      continue;
    }
    const inner = text.slice(open + 2, close);
    const whole = text.slice(open, close + 2);
    out +=
      text.slice(copied, open) +
      (isOutput ? replace(whole, inner, undefined) : replace(whole, undefined, inner));
    copied = close + 2;
    if (output >= 0 && output < copied) output = text.indexOf('{{', copied);
    if (tag >= 0 && tag < copied) tag = text.indexOf('{%', copied);
  }
  return out + text.slice(copied);
}

/**
 * A literal of the expression language. It has no escapes, so a value holding both kinds of quote cannot be
 * written: undefined.
 */
export function quote(value: string): string | undefined {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  return undefined;
}

/**
 * Translates Twilio's Liquid (`{{flow.variables.x}}`, `{{trigger.call.From}}`, `{{widgets.w.Digits}}`) into
 * CTICloud `{{variable}}` templates and expression operands. One translator serves a whole import because
 * `widgets.<http>.parsed.<path>` reads, wherever they appear, become the http node's response mapping.
 */
export class LiquidTranslator {
  /**
   * @param budget Spent one unit per template, reference and tag translated and per value of an "any of"
   *   list. @default unlimited
   */
  constructor(readonly budget = new WorkBudget('translating Liquid')) {}

  /** `widgets.<name>.parsed.<path>` reads: widget name → JSON path → the variable standing in for it. */
  readonly responseFields = new Map<string, Map<string, string>>();

  /** References already translated, with what they reported: a flow repeats the same few many times. */
  readonly #variables = new Map<string, { name: string; issues: [IssueSeverity, string][] }>();

  /** One Twilio reference as a CTICloud variable; what does not carry over exactly is reported. */
  variable(reference: string, issue: IssueSink): string {
    let known = this.#variables.get(reference);
    if (!known) {
      const issues: [IssueSeverity, string][] = [];
      known = { name: this.#translate(reference, (...i) => issues.push(i)), issues };
      this.#variables.set(reference, known);
    }
    for (const [severity, message] of known.issues) issue(severity, message);
    return known.name;
  }

  #translate(reference: string, issue: IssueSink): string {
    const known = Object.hasOwn(CALL_VARIABLES, reference) ? CALL_VARIABLES[reference] : undefined;
    if (known) return known;
    const [root, second, third, ...rest] = segments(reference);
    if (root === 'flow' && second === 'variables' && third !== undefined && rest.length === 0) {
      const name = variableName(third);
      if (name !== third) issue('approximated', `flow variable ${third} is renamed ${name}`);
      return name;
    }
    if (root === 'flow' && second === 'data' && third !== undefined && rest.length === 0) {
      const name = variableName(third);
      issue(
        'approximated',
        `{{${reference}}} (data passed by the REST API or a parent flow) reads variable ${name}, empty unless something sets it`,
      );
      return name;
    }
    if (root === 'widgets' && second !== undefined && third === 'Digits' && rest.length === 0) {
      return digitsVariable(second);
    }
    if (root === 'widgets' && second !== undefined && third === 'parsed' && rest.length > 0) {
      const path = rest.join('.');
      const name = variableName([second, ...rest].join('_'));
      if (RESPONSE_PATH.test(path)) {
        const fields = this.responseFields.get(second) ?? new Map<string, string>();
        this.responseFields.set(second, fields.set(path, name));
        // Twilio's parsed object is live JSON; ours is one string per field, set only on success.
        issue(
          'approximated',
          `{{${reference}}} reads variable ${name}, which the http node ${second} sets from field ${path} of its JSON response`,
        );
        return name;
      }
    }
    const name = variableName(segments(reference).join('_'));
    issue(
      'unmapped',
      `{{${reference}}} has no CTICloud equivalent; it reads variable ${name}, which starts empty`,
    );
    return name;
  }

  /** Prompt text, URL or body with Twilio's Liquid turned into CTICloud placeholders. */
  template(text: string, issue: IssueSink): string {
    this.budget.spend();
    return replaceLiquid(text, (whole, output, tag) => {
      this.budget.spend();
      if (tag !== undefined) {
        issue('unmapped', `Liquid tag ${whole} is dropped: templates have placeholders only`);
        return '';
      }
      const [base = '', ...filters] = output!.split('|').map((part) => part.trim());
      const literal = /^'([^']*)'$|^"([^"]*)"$/.exec(base);
      if (literal) return literal[1] ?? literal[2] ?? '';
      if (PLAIN_NUMBER.test(base)) return base;
      if (!REFERENCE.test(base)) {
        issue('unmapped', `${whole} is not a plain variable and is dropped`);
        return '';
      }
      if (filters.length) issue('approximated', `Liquid filters are dropped from ${whole}`);
      return `{{${this.variable(base, issue)}}}`;
    });
  }

  /** The variable when the input is exactly one `{{reference}}` without filters (a split's subject). */
  reference(input: string, issue: IssueSink): string | undefined {
    this.budget.spend();
    const match = /^\s*\{\{([^{}|]*)\}\}\s*$/.exec(input);
    const base = match?.[1]?.trim();
    return base !== undefined && REFERENCE.test(base) ? this.variable(base, issue) : undefined;
  }

  /**
   * A Split Based On condition as a CTICloud expression over `subject`, or undefined when the expression
   * language cannot say it: it has comparisons, `&&`, `||` and `!`, but no string functions or regexes.
   */
  condition(subject: string, type: string, value: string, issue: IssueSink): string | undefined {
    const operand = (v: string, numeric: boolean): string | undefined => {
      if (v.includes('{{')) return this.reference(v, issue);
      return numeric && PLAIN_NUMBER.test(v.trim()) ? v.trim() : quote(v);
    };
    const compare = (values: string[], op: string, join: string, numeric = false): string | undefined => {
      const operands = values.map((v) => operand(v, numeric));
      if (operands.length === 0 || operands.some((o) => o === undefined)) return undefined;
      return operands.map((o) => `${subject} ${op} ${o}`).join(join);
    };
    this.budget.spend();
    switch (type) {
      case 'equal_to':
        return compare([value], '==', '');
      case 'not_equal_to':
        return compare([value], '!=', '');
      case 'matches_any_of':
        return compare(this.#list(value), '==', ' || ');
      case 'does_not_match_any_of':
        return compare(this.#list(value), '!=', ' && ');
      // Unset and '' compare equal to '' in the expression language, as they are both blank in Twilio.
      case 'is_blank':
        return `${subject} == ''`;
      case 'is_not_blank':
        return `${subject} != ''`;
      case 'less_than':
        return compare([value], '<', '', true);
      case 'greater_than':
        return compare([value], '>', '', true);
      default:
        return undefined;
    }
  }

  /**
   * An "any of" list: Studio stores it comma-separated, with or without spaces. Split a value at a time,
   * spending as it goes, so a megabyte of commas is refused before it becomes a million strings.
   */
  #list(value: string): string[] {
    const list: string[] = [];
    for (let from = 0; from <= value.length;) {
      this.budget.spend();
      const comma = value.indexOf(',', from);
      const to = comma < 0 ? value.length : comma;
      const item = value.slice(from, to).trim();
      if (item !== '') list.push(item);
      from = to + 1;
    }
    return list;
  }
}
