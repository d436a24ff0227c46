import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { useEventStream } from '../api/events';
import { ErrorBanner } from '../components/ErrorBanner';
import { duration, percent, useInterval } from './format';
import { AGENT_STATES, type Queue, type QueueStats } from './types';

const REFRESH_MS = 5000;

/** Each queue's live figures: stats per queue, refreshed on queue and agent events and every few seconds. */
export function Queues() {
  const [rows, setRows] = useState<{ queue: Queue; stats: QueueStats | null }[]>([]);
  const [error, setError] = useState<unknown>();
  const refresh = useCallback(() => {
    (async () => {
      const { queues } = await api<{ queues: Queue[] }>('GET', '/v1/queues');
      const stats = await Promise.all(
        queues.map((q) => api<QueueStats>('GET', `/v1/queues/${q.id}/stats`).catch(() => null)),
      );
      setRows(queues.map((queue, i) => ({ queue, stats: stats[i] ?? null })));
      setError(undefined);
    })().catch(setError);
  }, []);
  useEffect(refresh, [refresh]);
  useInterval(refresh, REFRESH_MS);
  useEventStream(['queue.entered', 'agent.state_changed', 'call.ended'], refresh);

  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues</h1>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <table className="data" aria-label="Queues">
        <thead>
          <tr>
            <th>Queue</th>
            <th>Waiting</th>
            <th>Longest wait</th>
            <th>Service level 15 m / 60 m</th>
            <th>Answered / abandoned 60 m</th>
            <th>Avg handle</th>
            <th>Agents by state</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ queue, stats }) => (
            <tr key={queue.id}>
              <th scope="row">{queue.name}</th>
              <td className={stats?.waiting ? 'attention' : undefined}>{stats?.waiting ?? '—'}</td>
              <td>{stats ? duration(stats.longestWaitSec) : '—'}</td>
              <td>
                {percent(stats?.serviceLevel.last15m)} / {percent(stats?.serviceLevel.last60m)}
              </td>
              <td>{stats ? `${stats.answered60m} / ${stats.abandoned60m}` : '—'}</td>
              <td>{stats?.averageHandleSec != null ? duration(stats.averageHandleSec) : '—'}</td>
              <td>
                {AGENT_STATES.filter((s) => stats?.agents[s]).map((s) => (
                  <span key={s} className={`badge agent-${s}`}>
                    {s.replace('_', ' ')} {stats!.agents[s]}
                  </span>
                ))}
              </td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No queues.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
