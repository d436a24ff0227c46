import { useState } from 'react';
import { api } from '../api/client';
import { useEventStream } from '../api/events';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import { dateTime } from './format';

interface Callback {
  id: string;
  state: string;
  number: string;
  queueId: string;
  priority: number;
  maxAttempts: number;
  attempts: { number: number; startedAt: string; outcome?: string }[];
  nextAttemptAt?: string;
  earliest?: string;
  reason?: string;
}

function CallbackRow({ cb, reload }: { cb: Callback; reload: () => void }) {
  const [error, setError] = useState<unknown>();
  const [when, setWhen] = useState('');
  const open = !['completed', 'failed', 'cancelled'].includes(cb.state);
  const cancel = () => api('DELETE', `/v1/callbacks/${cb.id}`).then(reload).catch(setError);
  const reschedule = () =>
    api('PATCH', `/v1/callbacks/${cb.id}`, { earliest: when ? new Date(when).toISOString() : undefined })
      .then(reload)
      .catch(setError);
  const last = cb.attempts.at(-1);
  return (
    <tr>
      <th scope="row">{cb.number}</th>
      <td>
        <span className="badge">{cb.state}</span>
        {cb.reason && <span className="muted"> {cb.reason}</span>}
      </td>
      <td>
        {cb.attempts.length} / {cb.maxAttempts}
        {last?.outcome && <span className="muted"> (last: {last.outcome})</span>}
      </td>
      <td>{dateTime(cb.nextAttemptAt ?? cb.earliest)}</td>
      <td>
        {open && (
          <div className="toolbar">
            <label>
              Reschedule {cb.number} to
              <input type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />
            </label>
            <button type="button" onClick={() => void reschedule()}>
              Reschedule
            </button>
            <button type="button" className="danger" onClick={() => void cancel()}>
              Cancel callback
            </button>
          </div>
        )}
        <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      </td>
    </tr>
  );
}

/** Callbacks waiting or being tried: attempts, the next one, cancel or move it. */
export function Callbacks() {
  const [onlyOpen, setOnlyOpen] = useState(true);
  const { data, error, reload } = useApi<{ callbacks: Callback[] }>(
    `/v1/callbacks?open=${onlyOpen}&limit=200`,
  );
  useEventStream(['callback.attempted', 'callback.completed'], reload);
  return (
    <section aria-labelledby="callbacks-title">
      <h1 id="callbacks-title">Callbacks</h1>
      <div className="toolbar">
        <label className="inline">
          <input type="checkbox" checked={onlyOpen} onChange={(e) => setOnlyOpen(e.target.checked)} /> Pending
          only
        </label>
      </div>
      <ErrorBanner error={error} />
      <table className="data" aria-label="Callbacks">
        <thead>
          <tr>
            <th>Number</th>
            <th>State</th>
            <th>Attempts</th>
            <th>Next attempt</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {data?.callbacks.map((cb) => (
            <CallbackRow key={cb.id} cb={cb} reload={reload} />
          ))}
          {data?.callbacks.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No callbacks.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
