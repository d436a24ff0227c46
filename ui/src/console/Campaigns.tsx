import { useCallback, useEffect, useState } from 'react';
import type { ImportReport } from '../../../lib/contacts-report';
import { api } from '../api/client';
import { useEventStream } from '../api/events';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import type { Queue } from './types';

interface Campaign {
  id: string;
  name: string;
  state: string;
  mode: string;
  target: { kind: 'flow'; flowId: string } | { kind: 'queue'; queueId: string };
}
interface Progress {
  state: string;
  launched: number;
  finished: number;
  inFlight: number;
  byDisposition: Record<string, number>;
  pace: number;
  abandonRate: number | null;
  /** From GET …/progress only: seconds left at the current pace. */
  etaSec?: number | null;
}
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ACTIONS: Record<string, readonly string[]> = {
  draft: ['start'],
  running: ['pause', 'stop'],
  paused: ['resume', 'stop'],
  stopped: [],
  completed: [],
};

function CreateCampaign({ onCreated }: { onCreated: (c: Campaign) => void }) {
  const flows = useApi<{ flows: { id: string; name: string }[] }>('/v1/flows');
  const queues = useApi<{ queues: Queue[] }>('/v1/queues');
  const [form, setForm] = useState({
    name: '',
    kind: 'flow',
    targetId: '',
    callerId: '',
    open: '09:00',
    close: '20:00',
  });
  const [error, setError] = useState<unknown>();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const target =
      form.kind === 'flow'
        ? { kind: 'flow', flowId: form.targetId }
        : { kind: 'queue', queueId: form.targetId };
    api<Campaign>('POST', '/v1/campaigns', {
      name: form.name,
      target,
      mode: form.kind === 'flow' ? 'agentless' : 'progressive',
      callerId: form.callerId,
      window: { weekly: [{ days: DAYS, open: form.open, close: form.close }] },
    })
      .then((c) => {
        setError(undefined);
        onCreated(c);
      })
      .catch(setError);
  };
  const targets = form.kind === 'flow' ? (flows.data?.flows ?? []) : (queues.data?.queues ?? []);
  return (
    <form className="panel toolbar" onSubmit={submit} aria-label="New campaign">
      <label>
        Campaign name
        <input value={form.name} onChange={set('name')} />
      </label>
      <label>
        Target
        <select value={form.kind} onChange={set('kind')}>
          <option value="flow">Flow (agentless)</option>
          <option value="queue">Queue (progressive)</option>
        </select>
      </label>
      <label>
        {form.kind === 'flow' ? 'Flow' : 'Queue'}
        <select
          value={form.targetId}
          onChange={set('targetId')}
          aria-label={form.kind === 'flow' ? 'Target flow' : 'Target queue'}
        >
          <option value="">Choose…</option>
          {targets.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Caller ID
        <input value={form.callerId} onChange={set('callerId')} placeholder="+12125550100" />
      </label>
      <label>
        Window opens
        <input type="time" value={form.open} onChange={set('open')} />
      </label>
      <label>
        Window closes
        <input type="time" value={form.close} onChange={set('close')} />
      </label>
      <button type="submit" className="primary">
        Create campaign
      </button>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
    </form>
  );
}

function CampaignRow({
  campaign,
  progress,
  reload,
}: {
  campaign: Campaign;
  progress?: Progress;
  reload: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [report, setReport] = useState<ImportReport | null>(null);
  // Until the next campaign.progress event, what the campaign's workflow says now (a draft has none yet).
  const [current, setCurrent] = useState<Progress>();
  useEffect(() => {
    if (campaign.state === 'draft') return;
    api<Progress>('GET', `/v1/campaigns/${campaign.id}/progress`)
      .then(setCurrent)
      .catch(() => undefined);
  }, [campaign.id, campaign.state]);
  progress ??= current;
  const [file, setFile] = useState<File | null>(null);
  const act = (action: string) =>
    api('POST', `/v1/campaigns/${campaign.id}/${action}`).then(reload).catch(setError);
  const upload = () => {
    if (!file) return setError(new Error('choose a CSV file first'));
    const form = new FormData();
    form.append('file', file);
    api<ImportReport>('POST', `/v1/campaigns/${campaign.id}/contacts`, form)
      .then((r) => {
        setReport(r);
        setError(undefined);
      })
      .catch(setError);
  };
  return (
    <tr data-campaign-id={campaign.id}>
      <th scope="row">{campaign.name}</th>
      <td>
        <span className="badge">{progress?.state ?? campaign.state}</span> {campaign.mode}
      </td>
      <td aria-label={`Progress of ${campaign.name}`}>
        {progress
          ? `${progress.finished} finished · ${progress.inFlight} in flight · ${progress.pace.toFixed(2)}/s` +
            Object.entries(progress.byDisposition)
              .map(([k, v]) => ` · ${k} ${v}`)
              .join('') +
            (progress.etaSec ? ` · ETA ${Math.ceil(progress.etaSec / 60)} min` : '')
          : '—'}
      </td>
      <td>
        <div className="toolbar">
          <label>
            Contacts CSV for {campaign.name}
            <input
              type="file"
              accept=".csv,text/csv"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <button type="button" onClick={upload}>
            Upload
          </button>
          {(ACTIONS[progress?.state ?? campaign.state] ?? []).map((a) => (
            <button key={a} type="button" onClick={() => void act(a)}>
              {a[0]!.toUpperCase() + a.slice(1)}
            </button>
          ))}
        </div>
        <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
        {report && (
          <div className="import-report" role="region" aria-label={`Import report for ${campaign.name}`}>
            <p>
              {report.accepted} of {report.total} rows accepted ({report.created} new, {report.merged} merged,{' '}
              {report.dnc} on do-not-call), {report.rejected} rejected
              {report.complete ? '' : ' — file cut short'}.
            </p>
            {report.errors.length > 0 && (
              <table className="data">
                <thead>
                  <tr>
                    <th>Line</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {report.errors.map((e) => (
                    <tr key={e.line}>
                      <td>{e.line}</td>
                      <td>{e.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </td>
    </tr>
  );
}

/** Campaigns: create, upload contacts (with the bad-row report), start/pause/resume/stop, live progress. */
export function Campaigns() {
  const { data, error, reload } = useApi<{ campaigns: Campaign[] }>('/v1/campaigns');
  const [progress, setProgress] = useState<Record<string, Progress>>({});
  const onProgress = useCallback((e: { data: Record<string, unknown> }) => {
    const p = e.data as unknown as Progress & { campaignId: string };
    setProgress((all) => ({ ...all, [p.campaignId]: p }));
  }, []);
  useEventStream(['campaign.progress'], onProgress);
  return (
    <section aria-labelledby="campaigns-title">
      <h1 id="campaigns-title">Campaigns</h1>
      <CreateCampaign onCreated={reload} />
      <ErrorBanner error={error} />
      <table className="data" aria-label="Campaigns">
        <thead>
          <tr>
            <th>Campaign</th>
            <th>State</th>
            <th>Progress</th>
            <th>Contacts and actions</th>
          </tr>
        </thead>
        <tbody>
          {data?.campaigns.map((c) => (
            <CampaignRow key={c.id} campaign={c} progress={progress[c.id]} reload={reload} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
