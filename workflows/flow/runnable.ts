/**
 * Which node configurations the interpreter can run on a call today. Publishing refuses a flow with any
 * other (problem `not_runnable`) rather than letting a caller reach a node that cannot run.
 */
export function runnableOnCalls(type: string, params: Record<string, unknown>): boolean {
  const promptKind = (p: unknown) => (p as { kind?: string } | undefined)?.kind;
  switch (type) {
    case 'play':
      return promptKind(params.prompt) !== 'recording';
    case 'menu':
    case 'gather':
      return [params.prompt, params.invalidPrompt, params.noInputPrompt].every(
        (p) => p === undefined || promptKind(p) !== 'recording',
      );
    case 'say':
      return params.as !== 'date';
    case 'set':
    case 'branch':
    case 'hours':
    case 'hangup':
      return true;
    default:
      return false;
  }
}
