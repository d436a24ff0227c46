import { ApplicationFailure } from '@temporalio/workflow';
import { NODE_LOST_FAILURE } from '../../domain/asterisk-nodes';

/** Whether an ApplicationFailure of one of `types` is anywhere on the cause chain. */
function hasFailure(err: unknown, types: readonly string[]): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure && e.type && types.includes(e.type)) return true;
  }
  return false;
}

/**
 * Activities and local activities wrap the ApplicationFailure differently; look along the cause chain. A
 * node declared lost took its channels with it: they are gone too.
 */
export function isChannelGone(err: unknown): boolean {
  return hasFailure(err, ['ChannelGone', NODE_LOST_FAILURE]);
}

/** The channel's Asterisk was declared lost (its site gone for good): the system ended the call, not the caller. */
export function isNodeLost(err: unknown): boolean {
  return hasFailure(err, [NODE_LOST_FAILURE]);
}
