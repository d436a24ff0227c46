import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { useEventStream } from '../api/events';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import { href } from '../router';
import { CallActions } from './CallActions';
import { dateTime, since, time, useInterval, useNow } from './format';
import type { CallDetail as Detail, TimelineEntry } from './types';

const REFRESH_MS = 3000;

/** Every page of the call's timeline: a call's history is short, and the reader wants all of it at once. */
function useTimeline(id: string, tick: number) {
  const [entries, setEntries] = useState<TimelineEntry[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let current = true;
    (async () => {
      const all: TimelineEntry[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=500&cursor=${cursor}` : '?limit=500';
        const page: { entries: TimelineEntry[]; nextCursor: string | null } = await api(
          'GET',
          `/v1/calls/${encodeURIComponent(id)}/timeline${query}`,
        );
        all.push(...page.entries);
        cursor = page.nextCursor;
      } while (cursor && current);
      if (current) {
        setEntries(all);
        setError(undefined);
      }
    })().catch((err: unknown) => current && setError(err));
    return () => {
      current = false;
    };
  }, [id, tick]);
  return { entries, error };
}

export function CallDetail({ id }: { id: string }) {
  const path = `/v1/calls/${encodeURIComponent(id)}`;
  const { data: call, error, reload } = useApi<Detail>(path);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => {
    reload();
    setTick((t) => t + 1);
  }, [reload]);
  const running = call?.status === 'running';
  useInterval(
    useCallback(() => running && refresh(), [running, refresh]),
    REFRESH_MS,
  );
  useEventStream(['flow.node_entered', 'call.answered', 'call.ended'], (event) => {
    if ((event.data as { callId?: string }).callId === id) refresh();
  });
  const timeline = useTimeline(id, tick);
  const now = useNow();
  const live = call?.live;

  return (
    <section aria-labelledby="call-title" className="call-detail">
      <p>
        <a href={href('calls')}>← Live calls</a>
      </p>
      <h1 id="call-title">
        Call {live?.from ?? call?.cdr?.from ?? ''} → {live?.to ?? call?.cdr?.to ?? ''}
      </h1>
      <ErrorBanner error={error} />
      {call && (
        <>
          <div className="panel call-summary">
            <dl>
              <dt>Status</dt>
              <dd>
                <span className="badge">{call.status}</span>{' '}
                <span className="badge">{live?.state ?? '—'}</span>
              </dd>
              <dt>Started</dt>
              <dd>{dateTime(live?.startedAt ?? call.cdr?.startedAt)}</dd>
              <dt>Duration</dt>
              <dd>
                {running
                  ? since(live?.startedAt, now)
                  : call.cdr
                    ? `${Math.round(call.cdr.durationMs / 1000)} s`
                    : '—'}
              </dd>
              <dt>Flow</dt>
              <dd>
                {live?.flowId ? (
                  <>
                    <a href={href(`flows/${live.flowId}`)}>{live.flowId}</a> v{live.version}
                  </>
                ) : (
                  'built-in script'
                )}
              </dd>
              <dt>Current node</dt>
              <dd data-testid="current-node">{running ? (live?.currentNode ?? '—') : 'ended'}</dd>
              <dt>Queue</dt>
              <dd>
                {live?.queue
                  ? `${live.queue.queueName} (${live.queue.phase}${live.queue.agent ? `, ${live.queue.agent.name}` : ''})`
                  : '—'}
              </dd>
              {!running && (
                <>
                  <dt>Ended by</dt>
                  <dd>
                    {call.cdr?.endedBy ?? live?.endedBy ?? '—'} (
                    {call.cdr?.disposition ?? live?.disposition ?? '—'})
                  </dd>
                </>
              )}
            </dl>
            <a href={call.temporalUrl} target="_blank" rel="noreferrer">
              Open workflow in Temporal Web UI
            </a>
          </div>
          {running && <CallActions id={id} onChanged={refresh} queue={live?.queue} />}
          <div className="call-columns">
            <div className="panel">
              <h2>Path through the flow</h2>
              <ol className="flow-path" aria-label="Path through the flow">
                {(live?.path ?? []).map((step, i) => (
                  <li
                    key={i}
                    aria-current={running && i === (live?.path?.length ?? 0) - 1 ? 'step' : undefined}
                  >
                    <code>{step.nodeId}</code> <span className="badge">{step.type}</span>
                    {step.exit && <span className="muted"> → {step.exit}</span>}
                    <span className="muted"> {time(step.enteredAt)}</span>
                  </li>
                ))}
                {!live?.path?.length && <li className="muted">No flow nodes.</li>}
              </ol>
              {live?.variables && Object.keys(live.variables).length > 0 && (
                <>
                  <h3>Variables</h3>
                  <table className="data">
                    <tbody>
                      {Object.entries(live.variables).map(([k, v]) => (
                        <tr key={k}>
                          <th scope="row">{k}</th>
                          <td>{v}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              )}
            </div>
            <div className="panel">
              <h2>Workflow timeline</h2>
              <ErrorBanner error={timeline.error} />
              <table className="data timeline" aria-label="Workflow timeline">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Event</th>
                    <th>Name</th>
                    <th>Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {timeline.entries.map((e) => (
                    <tr key={e.eventId} className={`kind-${e.kind}`}>
                      <td>{time(e.at)}</td>
                      <td>{e.title}</td>
                      <td>{e.name ? <code>{e.name}</code> : ''}</td>
                      <td className="muted">{e.detail ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        </>
      )}
    </section>
  );
}
