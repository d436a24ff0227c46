/**
 * The queue-entry protocol, once, for every kind of entry (a caller, a callback, a preview contact): take a
 * place in line, receive agent offers, say how each ended, and — whatever happens — leave the line and free
 * the agent. `close()` belongs in a `finally`: a failure, a cancellation or a caller hanging up can no longer
 * leave an agent `on_call` forever.
 *
 * Routing state lives in PostgreSQL (lib/acd): each step is an activity that also runs a routing pass.
 * Entries that joined a line before that release signalled the tenant's routing workflow instead; their
 * histories replay through the same methods, which issue the same commands as the code they replaced
 * (`legacy`), so running workflows survive the change.
 */
import { CancellationScope, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import { acd, acdNow, acdQuick } from '../shared/activity-profiles';
import { publish } from '../shared/domain-events';
import {
  acdWorkflowId,
  agentOfferedSignal,
  callEndedSignal,
  leaveSignal,
  offerResultSignal,
  type AgentOffer,
} from './contract';
import type { EntryPosition, QueueConfig, QueueEntry } from '../../domain/acd/model';

/** Patch marking an entry routed through PostgreSQL rather than the tenant's routing workflow. */
export const ROUTING_STORE_PATCH = 'acd-routing-store';

/**
 * Where each caller emitted `queue.entered` relative to enqueueing before this module existed: a legacy
 * replay must issue its commands in the same order.
 */
export type LegacyOrder = 'enter-then-publish' | 'publish-then-enter' | 'no-publish';

type LeaveReason = 'abandoned' | 'overflow' | 'cancelled';

export class QueuePlace {
  private readonly offers: AgentOffer[] = [];
  private readonly seen = new Set<string>();
  private inLine = false;
  /** The offer being rung or talked on, until its end is reported. */
  private held?: { offer: AgentOffer; talking: boolean };
  private legacy = false;

  constructor(
    readonly tenantId: string,
    readonly entryId: string,
  ) {
    setHandler(agentOfferedSignal, (offer) => {
      // A routing pass that died before recording its signal is redone: the same offer may come twice.
      if (this.seen.has(offer.offerId)) return;
      this.seen.add(offer.offerId);
      this.offers.push(offer);
    });
  }

  private get router() {
    return getExternalWorkflowHandle(acdWorkflowId(this.tenantId));
  }

  /** Takes a place in `queue`'s line; the routing pass that follows may offer an agent at once. */
  async enter(queue: QueueConfig, entry: Omit<QueueEntry, 'queueId'>, order: LegacyOrder): Promise<void> {
    this.legacy = !patched(ROUTING_STORE_PATCH);
    const full: QueueEntry = { ...entry, queueId: queue.id };
    const announce = () =>
      void publish('queue.entered', this.tenantId, {
        queueId: queue.id,
        entryId: entry.entryId,
        kind: entry.kind,
        priority: entry.priority,
        from: entry.from,
      });
    this.inLine = true;
    if (!this.legacy) {
      announce();
      await acd.enterQueue({ tenantId: this.tenantId, entry: full });
      return;
    }
    if (order === 'publish-then-enter') announce();
    await acd.enqueue({ tenantId: this.tenantId, queue, entry: full });
    if (order === 'enter-then-publish') announce();
  }

  /**
   * Takes a place in the line of `entry.queueId` in one local activity (read the queue, announce, enter);
   * `false` when the queue is gone. Only for entries that started with it (CALLBACK_JOIN_PATCH), which
   * never used the routing workflow.
   */
  async join(entry: QueueEntry): Promise<boolean> {
    this.legacy = false;
    this.inLine = true;
    const { joined } = await acdNow.joinQueue({ tenantId: this.tenantId, entry });
    this.inLine = joined;
    return joined;
  }

  /** Whether this entry replays the routing-workflow protocol (joined a line before this release). */
  get isLegacy(): boolean {
    return this.legacy;
  }

  get hasOffer(): boolean {
    return this.offers.length > 0;
  }

  /** The next offer; the agent is held for this entry until `missed`, `ended` or `close`. */
  takeOffer(): AgentOffer {
    const offer = this.offers.shift()!;
    this.held = { offer, talking: false };
    return offer;
  }

  /** Where the entry is in line; null when unknown. A slow or failing read never holds the caller. */
  async position(): Promise<EntryPosition | null> {
    if (this.legacy) return acd.position({ tenantId: this.tenantId, entryId: this.entryId });
    return acdQuick.queuePosition({ tenantId: this.tenantId, entryId: this.entryId }).catch(() => null);
  }

  /** The agent did not answer or could not be rung: the entry keeps its place, the agent is not ready. */
  async missed(outcome: 'no_answer' | 'failed'): Promise<void> {
    const offer = this.held!.offer;
    this.held = undefined;
    const result = { entryId: this.entryId, offerId: offer.offerId, outcome };
    if (this.legacy) await this.router.signal(offerResultSignal, result);
    else await acd.reportOffer({ tenantId: this.tenantId, ...result });
  }

  /** The agent answered: the entry is out of line; the agent stays held until `ended`. */
  async answered(): Promise<void> {
    const offer = this.held!.offer;
    this.held!.talking = true;
    this.inLine = false;
    const result = { entryId: this.entryId, offerId: offer.offerId, outcome: 'answered' as const };
    if (this.legacy) await this.router.signal(offerResultSignal, result);
    else await acd.reportOffer({ tenantId: this.tenantId, ...result });
  }

  /** The conversation ended: the agent goes to wrap-up or is available. */
  async ended(talkSeconds: number): Promise<void> {
    const offer = this.held!.offer;
    this.held = undefined;
    if (this.legacy) {
      await this.router.signal(callEndedSignal, {
        entryId: this.entryId,
        agentId: offer.agent.id,
        talkSeconds,
      });
    } else {
      await acd.endAgentCall({ tenantId: this.tenantId, entryId: this.entryId, talkSeconds });
    }
  }

  /**
   * Frees the agent held for this entry. With `failed`, ringing them failed for a reason that is not the
   * agent's (the activity failed for good): the agent is available again at once and the entry keeps its
   * place, held back a few seconds so a broken dial cannot loop.
   */
  async release(failed = false): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (!held || this.legacy) return;
    await CancellationScope.nonCancellable(() =>
      acd.releaseEntry({ tenantId: this.tenantId, entryId: this.entryId, talked: held.talking, failed }),
    );
  }

  /** Out of line (overflow, transfer, cancel); an offered agent not yet talking is freed with it. */
  async leave(reason: LeaveReason): Promise<void> {
    if (!this.inLine) return;
    this.inLine = false;
    if (this.held && !this.held.talking) this.held = undefined;
    const input = { entryId: this.entryId, reason };
    // Also when the caller's hangup cancelled the flow: routing must not offer them an agent.
    await CancellationScope.nonCancellable(() =>
      this.legacy
        ? this.router.signal(leaveSignal, input)
        : acd.leaveQueue({ tenantId: this.tenantId, ...input }),
    );
  }

  /**
   * The `finally` of every entry: leaves the line if still in it and frees an agent still held, whatever
   * ended the entry. Harmless when everything was already reported. A legacy entry does nothing here: the
   * code it replays had no such step (a stranded agent was that code's bug, fixed for new entries).
   */
  async close(reason: LeaveReason): Promise<void> {
    if (this.legacy) return;
    await this.leave(reason);
    await this.release();
  }
}
