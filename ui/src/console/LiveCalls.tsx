import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import { useEventStream, type DomainEvent } from '../api/events';
import { ErrorBanner } from '../components/ErrorBanner';
import { href } from '../router';
import { since, useInterval, useNow } from './format';
import type { CallSummary, LiveInfo } from './types';

/** The stream carries changes; the list is the truth. Refetching this often catches what the stream missed. */
const REFRESH_MS = 5000;
const LIVE_TYPES = [
  'call.started',
  'call.answered',
  'call.ended',
  'flow.node_entered',
  'queue.entered',
  'agent.state_changed',
] as const;

const emptyLive = (): LiveInfo => ({
  state: 'ringing',
  answeredAt: null,
  flowId: null,
  currentNode: null,
  currentNodeType: null,
  queue: null,
});

/** One event applied to the list: what it says about the call changes right away, before the next refresh. */
function apply(calls: Map<string, CallSummary>, event: DomainEvent): Map<string, CallSummary> {
  const d = event.data as Record<string, string | undefined>;
  const id = d.callId ?? d.entryId;
  if (!id) return calls;
  const next = new Map(calls);
  const current = next.get(id);
  const live = { ...(current?.live ?? emptyLive()) };
  switch (event.type) {
    case 'call.started':
      next.set(id, {
        id,
        status: 'running',
        state: 'ringing',
        from: d.from ?? null,
        to: d.to ?? null,
        startedAt: event.occurredAt,
        closedAt: null,
        live: { ...live, flowId: d.flowId ?? null },
      });
      return next;
    case 'call.ended':
      next.delete(id);
      return next;
    case 'call.answered':
      if (!current) return calls;
      next.set(id, { ...current, state: 'answered', live: { ...live, answeredAt: event.occurredAt } });
      return next;
    case 'flow.node_entered':
      if (!current) return calls;
      next.set(id, {
        ...current,
        state: 'in_flow',
        live: { ...live, currentNode: d.nodeId ?? null, currentNodeType: d.nodeType ?? null },
      });
      return next;
    case 'queue.entered':
      if (!current) return calls;
      next.set(id, {
        ...current,
        live: {
          ...live,
          queue: {
            queueId: d.queueId ?? '',
            queueName: live.queue?.queueName ?? d.queueId ?? '',
            phase: 'waiting',
            enqueuedAt: event.occurredAt,
            agent: null,
          },
        },
      });
      return next;
    default:
      // agent.state_changed names the call only by entry id; the refresh it triggers fills in the agent.
      return calls;
  }
}

export function LiveCalls() {
  const [calls, setCalls] = useState<Map<string, CallSummary>>(new Map());
  const [error, setError] = useState<unknown>();
  const [filters, setFilters] = useState({ queue: '', agent: '', state: '' });
  const now = useNow();

  const refresh = useCallback(() => {
    api<{ calls: CallSummary[] }>('GET', '/v1/calls?status=active&include=live&limit=200')
      .then((r) => {
        setCalls(new Map(r.calls.map((c) => [c.id, c])));
        setError(undefined);
      })
      .catch(setError);
  }, []);
  useEffect(refresh, [refresh]);
  useInterval(refresh, REFRESH_MS);
  useEventStream(LIVE_TYPES, (event) => {
    setCalls((current) => apply(current, event));
    // An agent picking up or leaving a call changes who the call is with; the list query knows the name.
    if (event.type === 'agent.state_changed' || event.type === 'queue.entered') refresh();
  });

  const rows = useMemo(
    () => [...calls.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt)),
    [calls],
  );
  const options = (pick: (c: CallSummary) => string | null | undefined) =>
    [...new Set(rows.map(pick).filter((v): v is string => Boolean(v)))].sort();
  const shown = rows.filter(
    (c) =>
      (!filters.queue || c.live?.queue?.queueName === filters.queue) &&
      (!filters.agent || c.live?.queue?.agent?.name === filters.agent) &&
      (!filters.state || (c.live?.state ?? c.state) === filters.state),
  );
  const filter = (key: keyof typeof filters, label: string, values: string[]) => (
    <label>
      {label}
      <select value={filters[key]} onChange={(e) => setFilters({ ...filters, [key]: e.target.value })}>
        <option value="">All</option>
        {values.map((v) => (
          <option key={v}>{v}</option>
        ))}
      </select>
    </label>
  );

  return (
    <section aria-labelledby="live-calls-title">
      <h1 id="live-calls-title">Live calls</h1>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <div className="toolbar">
        {filter(
          'queue',
          'Queue',
          options((c) => c.live?.queue?.queueName),
        )}
        {filter(
          'agent',
          'Agent',
          options((c) => c.live?.queue?.agent?.name),
        )}
        {filter(
          'state',
          'State',
          options((c) => c.live?.state ?? c.state),
        )}
        <span className="muted" aria-live="polite">
          {shown.length} of {rows.length} live
        </span>
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </div>
      <table className="data console-calls" aria-label="Live calls">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Flow node</th>
            <th>Queue</th>
            <th>Agent</th>
            <th>State</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={c.id} data-call-id={c.id}>
              <td>
                <a
                  href={href(`calls/${encodeURIComponent(c.id)}`)}
                  aria-label={`Call from ${c.from ?? 'unknown'}`}
                >
                  {c.from ?? '—'}
                </a>
              </td>
              <td>{c.to ?? '—'}</td>
              <td className="node-cell">
                {c.live?.currentNode ? (
                  <>
                    <code>{c.live.currentNode}</code>{' '}
                    {c.live.currentNodeType && <span className="badge">{c.live.currentNodeType}</span>}
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td>
                {c.live?.queue ? (
                  <>
                    {c.live.queue.queueName}{' '}
                    <span className="muted">{since(c.live.queue.enqueuedAt, now)}</span>
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td>{c.live?.queue?.agent?.name ?? '—'}</td>
              <td>
                <span className={`badge state-${c.live?.state ?? c.state}`}>
                  {c.live?.state ?? c.state ?? '—'}
                </span>
                {c.live?.queue && <span className="badge">{c.live.queue.phase}</span>}
              </td>
              <td className="duration">{since(c.startedAt, now)}</td>
            </tr>
          ))}
          {shown.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No live calls{rows.length ? ' match the filters' : ''}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
