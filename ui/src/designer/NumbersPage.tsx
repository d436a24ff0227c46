import './designer.css';
import { useState, type FormEvent } from 'react';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import { href } from '../router';
import { numbersApi, type NumberAssignment, type ProvisionedNumber } from './api';
import type { FlowSummary } from './types';

/**
 * `#/numbers`: which flow answers each dialed number. The platform operator provisions numbers to the
 * tenant; the page offers those that no flow answers yet.
 */
export function NumbersPage() {
  const numbers = useApi<{ numbers: NumberAssignment[] }>('/v1/numbers');
  const provisioned = useApi<{ numbers: ProvisionedNumber[] }>('/v1/numbers/provisioned');
  const unrouted = provisioned.data?.numbers.filter((n) => n.flowId === null) ?? [];
  const flows = useApi<{ flows: FlowSummary[] }>('/v1/flows');
  const [number, setNumber] = useState('');
  const [flowId, setFlowId] = useState('');
  const [error, setError] = useState<unknown>();
  const flowName = (id: string) => flows.data?.flows.find((f) => f.id === id)?.name ?? id;

  const assign = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await numbersApi.assign(number.trim(), flowId);
      setNumber('');
      setError(undefined);
      numbers.reload();
      provisioned.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="numbers-page">
      <h1>Numbers</h1>
      <form className="toolbar" onSubmit={(e) => void assign(e)}>
        <label>
          Number
          <select aria-label="Number" value={number} onChange={(e) => setNumber(e.target.value)}>
            <option value="">
              {provisioned.data && !unrouted.length
                ? '— none free: the platform operator provisions numbers —'
                : '— choose a number —'}
            </option>
            {unrouted.map((n) => (
              <option key={n.number} value={n.number}>
                {n.number}
              </option>
            ))}
          </select>
        </label>
        <label>
          Flow
          <select aria-label="Flow" value={flowId} onChange={(e) => setFlowId(e.target.value)}>
            <option value="">— choose a flow —</option>
            {flows.data?.flows.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
                {f.latestPublished ? '' : ' (not published)'}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={!number.trim() || !flowId}>
          Assign number
        </button>
      </form>
      <ErrorBanner
        error={error ?? numbers.error ?? provisioned.error ?? flows.error}
        onDismiss={() => setError(undefined)}
      />
      <table className="data" aria-label="Numbers">
        <thead>
          <tr>
            <th>Number</th>
            <th>Flow</th>
            <th>Since</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {numbers.data?.numbers.map((n) => (
            <tr key={n.id}>
              <td>{n.number}</td>
              <td>
                <a href={href(`flows/${n.flowId}`)}>{flowName(n.flowId)}</a>
              </td>
              <td className="muted">{new Date(n.createdAt).toLocaleString()}</td>
              <td>
                <button
                  type="button"
                  className="danger"
                  aria-label={`Unassign ${n.number}`}
                  onClick={() =>
                    void numbersApi.remove(n.id).then(() => {
                      numbers.reload();
                      provisioned.reload();
                    }, setError)
                  }
                >
                  Unassign
                </button>
              </td>
            </tr>
          ))}
          {numbers.data?.numbers.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No numbers assigned.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
