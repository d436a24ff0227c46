import { useState } from 'react';
import { api } from '../api/client';
import { useEventStream } from '../api/events';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import { href } from '../router';
import { dateTime, duration } from './format';

const STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;

interface Summary {
  id: string;
  subject: string;
  status: string;
  priority: string;
  assignee: string | null;
  slaBreached: boolean;
  updatedAt: string;
}
interface Ticket {
  ticketId: string;
  status: string;
  version: number;
  fields: { subject: string; description: string; priority?: string; assignee?: string };
  sla: { kind: string; targetSec: number; elapsedSec: number; running: boolean; state: string }[];
  timeline: { at: string; kind: string; by?: string; detail: Record<string, unknown> }[];
}

function TicketDetail({ id }: { id: string }) {
  const { data, error, reload } = useApi<Ticket>(`/v1/tickets/${id}`);
  const [actionError, setActionError] = useState<unknown>();
  const [comment, setComment] = useState('');
  useEventStream(['ticket.updated', 'ticket.sla_breached'], (e) => e.data.ticketId === id && reload());
  const setStatus = (status: string) =>
    api('PATCH', `/v1/tickets/${id}`, { status }).then(reload).catch(setActionError);
  const addComment = () =>
    api('POST', `/v1/tickets/${id}/comments`, { body: comment })
      .then(() => {
        setComment('');
        reload();
      })
      .catch(setActionError);
  return (
    <section aria-labelledby="ticket-title">
      <p>
        <a href={href('tickets')}>← Tickets</a>
      </p>
      <ErrorBanner error={error} />
      {data && (
        <>
          <h1 id="ticket-title">{data.fields.subject}</h1>
          <p className="muted">{data.fields.description}</p>
          <ErrorBanner error={actionError} onDismiss={() => setActionError(undefined)} />
          <div className="toolbar">
            <label>
              Status
              <select value={data.status} onChange={(e) => void setStatus(e.target.value)}>
                {STATUSES.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
          </div>
          <h2>SLA clocks</h2>
          <ul className="sla-clocks">
            {data.sla.map((c) => (
              <li key={c.kind} className={`sla-${c.state}`}>
                {c.kind.replace('_', ' ')}: {duration(c.elapsedSec)} of {duration(c.targetSec)}{' '}
                <span className="badge">{c.state.replace('_', ' ')}</span>
                {c.running ? '' : ' (paused)'}
              </li>
            ))}
          </ul>
          <h2>Timeline</h2>
          <ol className="ticket-timeline">
            {data.timeline.map((t, i) => (
              <li key={i}>
                <span className="muted">{dateTime(t.at)}</span> <span className="badge">{t.kind}</span>{' '}
                {t.by ?? ''} {typeof t.detail.body === 'string' ? t.detail.body : JSON.stringify(t.detail)}
              </li>
            ))}
          </ol>
          <div className="toolbar">
            <label>
              Comment
              <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} cols={60} />
            </label>
            <button type="button" onClick={() => void addComment()}>
              Add comment
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function TicketList() {
  const [filters, setFilters] = useState({ status: '', priority: '', assignee: '', q: '' });
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  const { data, error, reload } = useApi<{ tickets: Summary[]; next: string | null }>(`/v1/tickets?${query}`);
  useEventStream(['ticket.created', 'ticket.updated'], reload);
  const set = (k: keyof typeof filters) => (e: { target: { value: string } }) =>
    setFilters({ ...filters, [k]: e.target.value });
  return (
    <section aria-labelledby="tickets-title">
      <h1 id="tickets-title">Tickets</h1>
      <div className="toolbar">
        <label>
          Status
          <select value={filters.status} onChange={set('status')}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={filters.priority} onChange={set('priority')}>
            <option value="">All</option>
            {PRIORITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <input value={filters.assignee} onChange={set('assignee')} />
        </label>
        <label>
          Search
          <input value={filters.q} onChange={set('q')} />
        </label>
      </div>
      <ErrorBanner error={error} />
      <table className="data" aria-label="Tickets">
        <thead>
          <tr>
            <th>Subject</th>
            <th>Status</th>
            <th>Priority</th>
            <th>Assignee</th>
            <th>SLA</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {data?.tickets.map((t) => (
            <tr key={t.id}>
              <td>
                <a href={href(`tickets/${t.id}`)}>{t.subject}</a>
              </td>
              <td>
                <span className="badge">{t.status}</span>
              </td>
              <td>{t.priority}</td>
              <td>{t.assignee ?? '—'}</td>
              <td>{t.slaBreached ? <span className="badge breached">breached</span> : 'ok'}</td>
              <td>{dateTime(t.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export const Tickets = ({ id }: { id?: string | undefined }) =>
  id ? <TicketDetail id={id} /> : <TicketList />;
