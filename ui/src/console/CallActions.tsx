import { useState } from 'react';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import { useSupervisorEndpoint } from './supervisor-endpoint';
import type { Queue } from './types';

const MODES = ['listen', 'whisper', 'barge'] as const;
type Mode = (typeof MODES)[number];

interface Session {
  id: string;
  mode: Mode;
  endpoint: string;
}

/** Monitor, transfer and hang up a live call. Each action shows the API's own error where it was taken. */
export function CallActions({
  id,
  onChanged,
  queue,
}: {
  id: string;
  onChanged: () => void;
  queue?: { queueId: string; phase: string } | undefined;
}) {
  const base = `/v1/calls/${encodeURIComponent(id)}`;
  const [endpoint, setEndpoint] = useSupervisorEndpoint();
  const [session, setSession] = useState<Session | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [confirmHangup, setConfirmHangup] = useState(false);
  const [transferTo, setTransferTo] = useState({ kind: 'queue', queueId: '', number: '' });
  const queues = useApi<{ queues: Queue[] }>(queue ? '/v1/queues' : null);

  const run = async (label: string, action: () => Promise<string>) => {
    setBusy(label);
    setError(undefined);
    try {
      setNotice(await action());
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const monitor = (mode: Mode) =>
    run(mode, async () => {
      const started = await api<Session>('POST', `${base}/monitor`, { mode, endpoint });
      setSession(started);
      return `${mode} session ${started.id} started on ${started.endpoint}`;
    });
  const stopMonitor = () =>
    run('stop', async () => {
      if (session) await api('DELETE', `${base}/monitor/${session.id}`);
      setSession(null);
      return 'Monitor session ended';
    });
  const transfer = () =>
    run('transfer', async () => {
      const to =
        transferTo.kind === 'queue'
          ? { kind: 'queue', queueId: transferTo.queueId }
          : { kind: 'number', number: transferTo.number };
      await api('POST', `${base}/transfer`, { to });
      return 'Transfer requested';
    });
  const hangup = () =>
    run('hangup', async () => {
      await api('POST', `${base}/hangup`);
      setConfirmHangup(false);
      return 'Hangup requested';
    });

  return (
    <div className="panel call-actions" aria-label="Call actions" role="group">
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <div className="toolbar">
        <label>
          Supervisor endpoint
          <input
            value={endpoint}
            placeholder="PJSIP/sup1"
            onChange={(e) => setEndpoint(e.target.value)}
            size={32}
          />
        </label>
        {MODES.map((mode) => (
          <button
            key={mode}
            type="button"
            disabled={Boolean(busy) || Boolean(session)}
            onClick={() => void monitor(mode)}
          >
            {busy === mode
              ? `${mode[0]!.toUpperCase()}${mode.slice(1)}…`
              : `${mode[0]!.toUpperCase()}${mode.slice(1)}`}
          </button>
        ))}
        {session && (
          <button type="button" onClick={() => void stopMonitor()} disabled={Boolean(busy)}>
            Stop {session.mode}
          </button>
        )}
        <span className="spacer" />
        {confirmHangup ? (
          <>
            <button type="button" className="danger" onClick={() => void hangup()} disabled={Boolean(busy)}>
              Confirm hang up
            </button>
            <button type="button" onClick={() => setConfirmHangup(false)}>
              Keep call
            </button>
          </>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirmHangup(true)}>
            Hang up
          </button>
        )}
      </div>
      {queue && (
        <div className="toolbar">
          <label>
            Transfer to
            <select
              value={transferTo.kind}
              onChange={(e) => setTransferTo({ ...transferTo, kind: e.target.value })}
            >
              <option value="queue">Queue</option>
              <option value="number">Number</option>
            </select>
          </label>
          {transferTo.kind === 'queue' ? (
            <label>
              Target queue
              <select
                value={transferTo.queueId}
                onChange={(e) => setTransferTo({ ...transferTo, queueId: e.target.value })}
              >
                <option value="">Choose…</option>
                {queues.data?.queues
                  .filter((q) => q.id !== queue.queueId)
                  .map((q) => (
                    <option key={q.id} value={q.id}>
                      {q.name}
                    </option>
                  ))}
              </select>
            </label>
          ) : (
            <label>
              Target number
              <input
                value={transferTo.number}
                onChange={(e) => setTransferTo({ ...transferTo, number: e.target.value })}
              />
            </label>
          )}
          <button type="button" onClick={() => void transfer()} disabled={Boolean(busy)}>
            Transfer
          </button>
        </div>
      )}
      <p className="muted" role="status">
        {notice}
      </p>
    </div>
  );
}
