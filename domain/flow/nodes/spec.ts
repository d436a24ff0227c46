import { z } from 'zod';
import { templateVariables } from '../template';

/**
 * One node type of the flow language. The same `params` schema validates API input, drives the designer's
 * form and is what the interpreter receives; `exits` names where the flow can go next.
 */
export interface NodeSpec<P extends z.ZodType = z.ZodType> {
  type: string;
  /** Shown in the designer's palette. */
  title: string;
  params: P;
  /** The node's exits for these parameters (a menu has one per option). */
  exits(params: z.infer<P>): string[];
  /** Waits for the caller (DTMF, speech, an agent): a loop through such a node is not a busy loop. */
  takesCallerInput: boolean;
  /** Variables the node reads. */
  reads(params: z.infer<P>): string[];
  /** Variables the node sets on every exit. */
  writes(params: z.infer<P>): string[];
  /** Variables the node sets when it leaves by `exit`, when that differs by exit. @default writes */
  writesOn?(params: z.infer<P>, exit: string): string[];
  /**
   * Exits that may be left unconnected because the node has a default for them (a queue's own overflow
   * target). Every other exit must lead somewhere. @default none
   */
  optionalExits?(params: z.infer<P>): string[];
}

export const defineNode = <P extends z.ZodType>(spec: NodeSpec<P>): NodeSpec<P> => spec;

export const VariableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name is letters, digits and _, not starting with a digit');

export const Digit = z.string().regex(/^[0-9*#]$/, 'one of 0-9, * or #');

export const Prompt = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('sound'),
    // Relative to Asterisk's sounds (`digits/1`): an absolute path would play any file Asterisk can read,
    // other tenants' recordings included.
    name: z
      .string()
      .max(200)
      .regex(
        /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/,
        'an Asterisk sound name, e.g. digits/1 (no absolute path)',
      ),
  }),
  z.object({ kind: z.literal('recording'), recordingId: z.string().uuid() }),
  z.object({
    kind: z.literal('tts'),
    text: z.string().min(1).max(2000),
    /** espeak-ng voice. @default 'en-us' */
    voice: z
      .string()
      .regex(/^[a-z]{2,3}(-[a-z0-9]+)*$/)
      .default('en-us'),
  }),
]);
export type Prompt = z.infer<typeof Prompt>;

export const promptVariables = (prompt: Prompt | undefined): string[] =>
  prompt?.kind === 'tts' ? templateVariables(prompt.text) : [];

export const Millis = (max: number, fallback: number) => z.number().int().min(100).max(max).default(fallback);
