import { HANDLERS } from './handlers';

/**
 * Which node configurations the interpreter can run on a call today. Publishing refuses a flow with any
 * other (problem `not_runnable`) rather than letting a caller reach a node that cannot run. Every type of
 * the language has a handler today; a type added to the registry before its handler is caught here.
 */
export function runnableOnCalls(type: string, _params: Record<string, unknown>): boolean {
  return type in HANDLERS;
}
