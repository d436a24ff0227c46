import { ApplicationFailure } from '@temporalio/workflow';

/** Activities and local activities wrap the ApplicationFailure differently; look along the cause chain. */
export function isChannelGone(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure && e.type === 'ChannelGone') return true;
  }
  return false;
}
