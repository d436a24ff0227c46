/**
 * Automatic site failover, off unless SITE_AUTO_FAILOVER_SEC is set (docs/architecture.md, "Split brain").
 * A site's takeover worker, standing by, watches the other site on every path it has to it: its gateway, its
 * Temporal frontend, and its heartbeat arriving by PostgreSQL replication. Silence on one path is a fault of
 * that path; silence on all of them for the configured time may be a dead site or a cut link, which this site
 * cannot tell apart. So it asks a witness in a third place (SITE_WITNESS_URL, lib/sites/witness.ts) whether
 * it reaches the other site, and takes over only when the witness answers that it does not: two of three
 * places agree. A witness this site cannot reach is no vote, and nothing happens.
 */
import type { Logger } from 'pino';

/** How often the other site is looked at, and how long each look may take. */
export const PEER_PROBE = {
  /** @default 1000 */
  intervalMs: 1000,
  /** @default 1000 */
  timeoutMs: 1000,
} as const;

/** What this site sees of the other at one moment. */
export interface PeerObservation {
  /** Its gateway answered its health check. */
  api: boolean;
  /** Its Temporal frontend answered its health check. */
  temporal: boolean;
  /** Since the last of its heartbeats arrived here by replication; undefined before the first. */
  heartbeatAgeMs: number | undefined;
}

/** What the witness says of the other site. */
export type WitnessVote = 'peer-reachable' | 'peer-unreachable' | 'witness-unreachable';

/** Silent on every path: no answer from its gateway or its frontend, and no heartbeat for `afterMs`. */
export function peerSilent(seen: PeerObservation, afterMs: number): boolean {
  return !seen.api && !seen.temporal && (seen.heartbeatAgeMs === undefined || seen.heartbeatAgeMs >= afterMs);
}

/** Take over only after `afterMs` of silence, and only when the witness cannot reach the other site either. */
export function shouldTakeOver(silentForMs: number, afterMs: number, witness: WitnessVote): boolean {
  return silentForMs >= afterMs && witness === 'peer-unreachable';
}

/** Asks the witness at `witnessUrl` whether it reaches `peer`'s gateway. */
export async function askWitness(
  witnessUrl: string,
  peer: string,
  timeoutMs = 2 * PEER_PROBE.timeoutMs,
): Promise<WitnessVote> {
  try {
    const res = await fetch(new URL(`sites/${encodeURIComponent(peer)}`, withSlash(witnessUrl)), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return 'witness-unreachable';
    const { reachable } = (await res.json()) as { reachable?: unknown };
    return reachable === false ? 'peer-unreachable' : 'peer-reachable';
  } catch {
    return 'witness-unreachable';
  }
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

export interface PeerWatchOptions {
  /** SITE_AUTO_FAILOVER_SEC, in ms. */
  afterMs: number;
  observe: () => Promise<PeerObservation>;
  askWitness: () => Promise<WitnessVote>;
  /** The forced failover of the other site's namespace to this site's cluster. */
  takeOver: () => Promise<void>;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** @default PEER_PROBE.intervalMs */
  intervalMs?: number;
}

/**
 * Watches the other site until it stops or takes over (once). Each silent spell is logged once, with the
 * witness's vote when it was asked.
 */
export function watchPeer(options: PeerWatchOptions): { stop(): Promise<void> } {
  const interval = options.intervalMs ?? PEER_PROBE.intervalMs;
  let stopped = false;
  const done = (async () => {
    let silentSince: number | undefined;
    let lastVote: WitnessVote | undefined;
    while (!stopped) {
      const seen = await options.observe();
      if (!peerSilent(seen, options.afterMs)) {
        if (silentSince !== undefined) options.log.info({ seen }, 'other site heard from again');
        silentSince = undefined;
        lastVote = undefined;
      } else {
        silentSince ??= Date.now();
        const silentFor = Date.now() - silentSince;
        if (silentFor >= options.afterMs) {
          const vote = await options.askWitness();
          if (stopped) return;
          if (shouldTakeOver(silentFor, options.afterMs, vote)) {
            options.log.warn(
              { silentForMs: silentFor, vote },
              'other site silent and the witness agrees: taking over',
            );
            await options.takeOver();
            return;
          }
          if (vote !== lastVote) {
            options.log.warn(
              { silentForMs: silentFor, vote },
              vote === 'peer-reachable'
                ? 'other site silent here but the witness reaches it (a cut link?): not taking over'
                : 'other site silent and no witness to agree: not taking over',
            );
            lastVote = vote;
          }
        }
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  })().catch((err: unknown) => options.log.error({ err }, 'watching the other site failed'));
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}
