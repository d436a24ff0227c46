import { useCallback, useState } from 'react';
import { api } from '../api/client';
import { useEventStream } from '../api/events';
import { useMe } from '../api/me';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import { href } from '../router';
import { since, useInterval, useNow } from './format';
import { SETTABLE_STATES, type Agent } from './types';

const REFRESH_MS = 5000;

function StateControl({ agent, onChanged }: { agent: Agent; onChanged: (a: Agent) => void }) {
  const [state, setState] = useState<string>(agent.state === 'not_ready' ? 'not_ready' : 'available');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = () =>
    api<Agent>('POST', `/v1/agents/${agent.id}/state`, { state, ...(reason ? { reason } : {}) })
      .then((a) => {
        setError(undefined);
        onChanged(a);
      })
      .catch(setError);
  return (
    <div className="state-control">
      <label>
        New state for {agent.name}
        <select value={state} onChange={(e) => setState(e.target.value)}>
          {SETTABLE_STATES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      {state === 'not_ready' && (
        <label>
          Reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} size={10} />
        </label>
      )}
      <button type="button" onClick={() => void submit()}>
        Set
      </button>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
    </div>
  );
}

function AgentRow({ agent, now, reload }: { agent: Agent; now: number; reload: () => void }) {
  return (
    <tr>
      <th scope="row">{agent.name}</th>
      <td>
        <span className={`badge agent-${agent.state}`}>{agent.state.replace('_', ' ')}</span>
        {agent.reason && <span className="muted"> {agent.reason}</span>}
      </td>
      <td>{since(agent.since, now)}</td>
      <td>
        {agent.currentCall ? (
          agent.currentCall.startsWith('call-') ? (
            <a href={href(`calls/${encodeURIComponent(agent.currentCall)}`)}>{agent.currentCall}</a>
          ) : (
            agent.currentCall
          )
        ) : (
          '—'
        )}
      </td>
      <td>{agent.callsHandled}</td>
      <td>
        <StateControl agent={agent} onChanged={reload} />
      </td>
    </tr>
  );
}

/** Every agent, live: state and since when, the call they are on, and setting their state. */
export function Agents() {
  const { data, error, reload } = useApi<{ agents: Agent[] }>('/v1/agents');
  const now = useNow();
  useInterval(reload, REFRESH_MS);
  useEventStream(['agent.state_changed'], reload);
  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <ErrorBanner error={error} />
      <table className="data" aria-label="Agents">
        <thead>
          <tr>
            <th>Agent</th>
            <th>State</th>
            <th>For</th>
            <th>Current call</th>
            <th>Calls handled</th>
            <th>Set state</th>
          </tr>
        </thead>
        <tbody>
          {data?.agents.map((a) => (
            <AgentRow key={a.id} agent={a} now={now} reload={reload} />
          ))}
          {data?.agents.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No agents.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

/** An agent key's own state: log in, take a break, log out. */
export function MyState() {
  const me = useMe();
  const { data, error, reload } = useApi<Agent>(me.agentId ? `/v1/agents/${me.agentId}` : null);
  const now = useNow();
  const onEvent = useCallback(
    (e: { data: Record<string, unknown> }) => e.data.agentId === me.agentId && reload(),
    [me.agentId, reload],
  );
  useEventStream(['agent.state_changed'], onEvent);
  if (!me.agentId) return <p>This key is not linked to an agent.</p>;
  return (
    <section aria-labelledby="my-state-title">
      <h1 id="my-state-title">My state</h1>
      <ErrorBanner error={error} />
      {data && (
        <div className="panel">
          <p>
            {data.name}: <span className={`badge agent-${data.state}`}>{data.state.replace('_', ' ')}</span>{' '}
            for {since(data.since, now)}
            {data.currentCall && <> · on call {data.currentCall}</>}
          </p>
          <StateControl agent={data} onChanged={reload} />
        </div>
      )}
    </section>
  );
}
