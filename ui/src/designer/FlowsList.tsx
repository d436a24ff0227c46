import './designer.css';
import { useState, type FormEvent } from 'react';
import { canEdit, useMe } from '../api/me';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import { href, navigate } from '../router';
import { flowsApi, type ImportIssue } from './api';
import { emptyDefinition } from './graph';
import type { FlowSummary } from './types';

/** `#/flows`: the tenant's flows; create, delete, import from Twilio Studio. */
export function FlowsList() {
  const me = useMe();
  const flows = useApi<{ flows: FlowSummary[] }>('/v1/flows');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [report, setReport] = useState<{ flowId: string; name: string; issues: ImportIssue[] }>();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const flow = await flowsApi.create(name.trim(), emptyDefinition());
      navigate(`flows/${flow.id}`);
    } catch (err) {
      setError(err);
    }
  };
  const importFile = async (file: File) => {
    setError(undefined);
    try {
      const definition: unknown = JSON.parse(await file.text());
      const flowName = file.name.replace(/\.json$/i, '') || 'Imported flow';
      const result = await flowsApi.importTwilio(flowName, definition);
      setReport({ flowId: result.flow.id, name: result.flow.name, issues: result.report });
      flows.reload();
    } catch (err) {
      setError(err instanceof SyntaxError ? new Error(`${file.name} is not JSON: ${err.message}`) : err);
    }
  };

  return (
    <div className="flows-list">
      <h1>Flows</h1>
      {canEdit(me) && (
        <div className="toolbar">
          <form onSubmit={(e) => void create(e)} className="row">
            <label>
              New flow name
              <input
                aria-label="New flow name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                required
              />
            </label>
            <button type="submit" className="primary" disabled={!name.trim()}>
              Create flow
            </button>
          </form>
          <label>
            Import Twilio Studio JSON
            <input
              type="file"
              accept="application/json,.json"
              aria-label="Import Twilio Studio JSON"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void importFile(file);
                e.target.value = '';
              }}
            />
          </label>
        </div>
      )}
      <ErrorBanner error={error ?? flows.error} onDismiss={() => setError(undefined)} />
      {report && (
        <div className="panel import-report" aria-label="Import report">
          <p>
            Imported <a href={href(`flows/${report.flowId}`)}>{report.name}</a> as a draft.{' '}
            {report.issues.length === 0
              ? 'Everything was mapped.'
              : `${report.issues.length} widgets need a look:`}
          </p>
          {report.issues.length > 0 && (
            <table className="data">
              <thead>
                <tr>
                  <th>State</th>
                  <th>Widget</th>
                  <th>Result</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {report.issues.map((issue, i) => (
                  <tr key={i}>
                    <td>{issue.state}</td>
                    <td>{issue.widgetType}</td>
                    <td>
                      <span className={`badge ${issue.severity}`}>{issue.severity}</span>
                    </td>
                    <td>{issue.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      <table className="data" aria-label="Flows">
        <thead>
          <tr>
            <th>Name</th>
            <th>Draft</th>
            <th>Published</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {flows.data?.flows.map((f) => (
            <tr key={f.id}>
              <td>
                <a href={href(`flows/${f.id}`)}>{f.name}</a>
              </td>
              <td>v{f.version}</td>
              <td>{f.latestPublished ? `v${f.latestPublished}` : '—'}</td>
              <td className="muted">{new Date(f.updatedAt).toLocaleString()}</td>
              <td>
                {canEdit(me) && (
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Delete flow ${f.name}`}
                    onClick={() => {
                      if (window.confirm(`Delete flow ${f.name}?`))
                        flowsApi.remove(f.id).then(flows.reload, setError);
                    }}
                  >
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
          {flows.data?.flows.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No flows yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
