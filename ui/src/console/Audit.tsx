import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { dateTime } from './format';

/** GET /v1/audit (gateway/routes/audit). */
interface AuditEntry {
  id: string;
  at: string;
  actor: { keyId: string; role: string };
  action: string;
  resource: { type: string; id: string | null };
  path: string;
  changes: Record<string, unknown>;
}
interface Page {
  entries: AuditEntry[];
  nextCursor: string | null;
}

const PAGE = 50;

/** `field: before → after` for each changed field; an action's parameters as they were sent. */
function Changes({ changes }: { changes: Record<string, unknown> }) {
  const show = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));
  return (
    <ul className="plain">
      {Object.entries(changes).map(([field, change]) => {
        const c = change as { before?: unknown; after?: unknown } | null;
        const diff = c && typeof c === 'object' && ('before' in c || 'after' in c);
        return (
          <li key={field}>
            <code>{field}</code>: {diff ? `${show(c.before)} → ${show(c.after)}` : show(change)}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * `#/audit`, for admins and supervisors: configuration changes and supervisor actions, newest first, with
 * who made them and what changed (secrets masked by the API); filtered by resource and action, paged.
 */
export function AuditPage() {
  const [resourceType, setResourceType] = useState('');
  const [action, setAction] = useState('');
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const load = (cursor?: string): void => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (resourceType) q.set('resourceType', resourceType);
    if (action) q.set('action', action);
    if (cursor) q.set('cursor', cursor);
    api<Page>('GET', `/v1/audit?${q}`)
      .then((page) => {
        setEntries((old) => (cursor ? [...(old ?? []), ...page.entries] : page.entries));
        setNext(page.nextCursor);
        setError(undefined);
      })
      .catch(setError);
  };
  // The newest page once; the filter form loads again.
  useEffect(() => load(), []);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        <label>
          Resource
          <input value={resourceType} placeholder="queue" onChange={(e) => setResourceType(e.target.value)} />
        </label>
        <label>
          Action
          <input value={action} placeholder="queue.updated" onChange={(e) => setAction(e.target.value)} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorBanner error={error} />
      <table className="data" aria-label="Audit log">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Resource</th>
            <th>What changed</th>
          </tr>
        </thead>
        <tbody>
          {entries?.map((e) => (
            <tr key={e.id}>
              <td>{dateTime(e.at)}</td>
              <td>
                {e.actor.role} <span className="muted">key {e.actor.keyId}</span>
              </td>
              <th scope="row">{e.action}</th>
              <td>
                {e.resource.type} <span className="muted">{e.resource.id}</span>
              </td>
              <td>
                <Changes changes={e.changes} />
              </td>
            </tr>
          ))}
          {entries?.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                Nothing recorded.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={() => load(next)}>
          Older entries
        </button>
      )}
    </section>
  );
}
