import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef, useState } from 'react';
import { api, apiText } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { percent } from './format';
import type { QueueReportRow as QueueRow } from '../../../domain/reports/rows';

// Only the parts drawn here: ECharts is tree-shaken to bars, a line, axes, tooltip and legend.
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const INTERVALS = { '15m': '15 minutes', '30m': '30 minutes', '1h': 'Hour', day: 'Day' } as const;
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const localInput = (d: Date) =>
  new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/** Offered, answered and abandoned per interval as bars, the service level (Genesys) as a line. */
function Chart({ rows }: { rows: QueueRow[] }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current);
    // All queues of an interval summed: the chart shows the contact center; the table each queue.
    const byStart = new Map<string, { offered: number; answered: number; abandoned: number; inSl: number }>();
    for (const r of rows) {
      const t = byStart.get(r.localStart) ?? { offered: 0, answered: 0, abandoned: 0, inSl: 0 };
      t.offered += r.offered;
      t.answered += r.answered;
      t.abandoned += r.abandoned;
      t.inSl += (r.serviceLevelGenesys ?? 0) * (r.answered + r.abandoned);
      byStart.set(r.localStart, t);
    }
    const starts = [...byStart.keys()];
    const totals = [...byStart.values()];
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: {},
      grid: { left: 40, right: 50, bottom: 30 },
      xAxis: { type: 'category', data: starts.map((s) => s.replace('T', ' ')) },
      yAxis: [
        { type: 'value', name: 'contacts' },
        { type: 'value', name: 'service level', min: 0, max: 1 },
      ],
      series: [
        { name: 'Offered', type: 'bar', data: totals.map((t) => t.offered) },
        { name: 'Answered', type: 'bar', data: totals.map((t) => t.answered) },
        { name: 'Abandoned', type: 'bar', data: totals.map((t) => t.abandoned) },
        {
          name: 'Service level',
          type: 'line',
          yAxisIndex: 1,
          data: totals.map((t) => (t.answered + t.abandoned ? t.inSl / (t.answered + t.abandoned) : null)),
        },
      ],
    });
    return () => chart.dispose();
  }, [rows]);
  return (
    <div ref={el} className="report-chart" role="img" aria-label="Contacts and service level per interval" />
  );
}

/**
 * `#/reports`, for admins and supervisors: the queues' historical figures per interval in this browser's time
 * zone (docs/operations.md, "Reports"), as a chart and a table, with a CSV download.
 */
export function ReportsPage() {
  const [from, setFrom] = useState(() => localInput(new Date(Date.now() - 86_400_000)));
  const [to, setTo] = useState(() => localInput(new Date(Date.now() + 3_600_000)));
  const [interval, setInterval] = useState<keyof typeof INTERVALS>('1h');
  const [rows, setRows] = useState<QueueRow[]>();
  const [error, setError] = useState<unknown>();
  const query = () =>
    new URLSearchParams({
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      interval,
      timeZone: zone,
    });
  const load = (): void => {
    api<{ rows: QueueRow[] }>('GET', `/v1/reports/queues?${query()}`)
      .then((r) => (setRows(r.rows), setError(undefined)))
      .catch(setError);
  };
  useEffect(load, []);
  const download = () => {
    apiText('GET', `/v1/reports/queues?${query()}&format=csv`)
      .then((text) => {
        const link = document.createElement('a');
        link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
        link.download = 'queues.csv';
        link.click();
      })
      .catch(setError);
  };
  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">Reports</h1>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        <label>
          From
          <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label>
          Interval
          <select value={interval} onChange={(e) => setInterval(e.target.value as keyof typeof INTERVALS)}>
            {Object.entries(INTERVALS).map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
        <button type="button" onClick={download}>
          Download CSV
        </button>
        <span className="muted">times in {zone}</span>
      </form>
      <ErrorBanner error={error} />
      {rows && rows.length > 0 && <Chart rows={rows} />}
      <table className="data" aria-label="Queue report">
        <thead>
          <tr>
            <th>From</th>
            <th>Queue</th>
            <th>Offered</th>
            <th>Answered</th>
            <th>Abandoned (short)</th>
            <th>Overflowed</th>
            <th>Service level (Connect / Genesys)</th>
            <th>ASA</th>
            <th>Avg abandon</th>
            <th>AHT</th>
          </tr>
        </thead>
        <tbody>
          {rows?.map((r) => (
            <tr key={`${r.start}-${r.queueId}`}>
              <td>{r.localStart.replace('T', ' ')}</td>
              <th scope="row">{r.queueName}</th>
              <td>{r.offered}</td>
              <td>{r.answered}</td>
              <td>
                {r.abandoned} ({r.shortAbandoned})
              </td>
              <td>{r.overflowed}</td>
              <td>
                {percent(r.serviceLevelConnect)} / {percent(r.serviceLevelGenesys)}
              </td>
              <td>{r.averageSpeedOfAnswerSec ?? '—'} s</td>
              <td>{r.averageAbandonSec ?? '—'} s</td>
              <td>{r.averageHandleSec ?? '—'} s</td>
            </tr>
          ))}
          {rows?.length === 0 && (
            <tr>
              <td colSpan={10} className="muted">
                No contacts in this period.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
