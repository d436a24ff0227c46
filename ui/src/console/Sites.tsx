import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { dateTime, useInterval } from './format';

/** GET /v1/platform/sites (gateway/routes/platform/sites.ts). */
interface Site {
  name: string;
  here: boolean;
  cluster: string | null;
  status: 'ready' | 'unavailable' | 'unreachable';
  down: string[];
  replication: { lagMs: number | null; lastAppliedAt: string | null } | null;
  error?: string;
}
interface Namespace {
  namespace: string;
  home: string;
  activeCluster: string;
  clusters: string[];
  state: string;
  lostNodes: string[];
}
interface Sites {
  site: string | null;
  sites: Site[];
  namespaces: Namespace[];
}

const REFRESH_MS = 2000;

/**
 * `#/sites`, for the platform operator: both sites' health, how far behind each applies the other's
 * configuration, and where each site's namespace is active, with the failover and fail-back actions behind a
 * confirmation (docs/architecture.md, "Two sites").
 */
export function SitesPage() {
  const [data, setData] = useState<Sites>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(() => {
    api<Sites>('GET', '/v1/platform/sites')
      .then((d) => (setData(d), setError(undefined)))
      .catch(setError);
  }, []);
  useEffect(refresh, [refresh]);
  useInterval(refresh, REFRESH_MS);

  const move = (ns: Namespace, cluster: string, mode: 'forced' | 'graceful', question: string) => {
    if (!window.confirm(question)) return;
    setBusy(true);
    api('POST', '/v1/platform/temporal/failover', { namespace: ns.namespace, cluster, mode })
      .then(refresh)
      .catch(setError)
      .finally(() => setBusy(false));
  };
  /** A site gone for good: its Asterisk nodes' leftovers end at once (PUT /v1/platform/temporal/lost-nodes). */
  const declareLost = (ns: Namespace) => {
    const names = window.prompt(
      `Site ${ns.home} will not come back? Its Asterisk nodes (comma-separated) are declared lost: the calls ` +
        'and dials left on them end now, recorded as ended by the system, and callbacks are dialed again from here.',
      ns.lostNodes.length ? ns.lostNodes.join(',') : `site-${ns.home}`,
    );
    if (names === null) return;
    setBusy(true);
    const nodes = names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    api('PUT', '/v1/platform/temporal/lost-nodes', { namespace: ns.namespace, nodes })
      .then(refresh)
      .catch(setError)
      .finally(() => setBusy(false));
  };
  const clusterOf = (site: string) => data?.sites.find((s) => s.name === site)?.cluster ?? `site-${site}`;
  const here = data?.sites.find((s) => s.here);

  return (
    <section aria-labelledby="sites-title">
      <h1 id="sites-title">Sites</h1>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      {data && data.sites.length < 2 && <p className="muted">CTICloud runs as one site here.</p>}
      {data && (
        <table aria-label="Sites">
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Health</th>
              <th scope="col">Receives the other's changes</th>
            </tr>
          </thead>
          <tbody>
            {data.sites.map((s) => (
              <tr key={s.name}>
                <th scope="row">
                  {s.name}
                  {s.here && <span className="muted"> (this site)</span>}
                </th>
                <td>
                  <span className={`badge site-${s.status}`}>{s.status}</span>
                  {s.down.length > 0 && <span className="muted"> down: {s.down.join(', ')}</span>}
                  {s.error && <span className="muted"> {s.error}</span>}
                </td>
                <td>
                  {s.replication?.lagMs != null
                    ? `${Math.round(s.replication.lagMs)} ms behind, last at ${dateTime(s.replication.lastAppliedAt)}`
                    : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.namespaces.length > 0 && (
        <table aria-label="Namespaces">
          <thead>
            <tr>
              <th scope="col">Namespace</th>
              <th scope="col">Home site</th>
              <th scope="col">Active on</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {data.namespaces.map((ns) => {
              const home = clusterOf(ns.home);
              const away = ns.activeCluster !== home;
              return (
                <tr key={ns.namespace}>
                  <th scope="row">{ns.namespace}</th>
                  <td>{ns.home}</td>
                  <td>
                    {ns.activeCluster}
                    {away && <span className="badge site-unavailable">failed over</span>}
                    {ns.lostNodes.length > 0 && (
                      <span className="badge site-unreachable">lost: {ns.lostNodes.join(', ')}</span>
                    )}
                  </td>
                  <td>
                    {away && here && ns.activeCluster === (here.cluster ?? clusterOf(here.name)) && (
                      <button
                        type="button"
                        className="danger"
                        disabled={busy}
                        onClick={() => declareLost(ns)}
                      >
                        {ns.home} lost for good
                      </button>
                    )}
                    {away ? (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() =>
                          move(
                            ns,
                            home,
                            'graceful',
                            `Give ${ns.namespace} back to site ${ns.home}? It must be running again.`,
                          )
                        }
                      >
                        Fail back to {ns.home}
                      </button>
                    ) : (
                      here &&
                      ns.home !== here.name && (
                        <button
                          type="button"
                          className="danger"
                          disabled={busy}
                          onClick={() =>
                            move(
                              ns,
                              here.cluster ?? clusterOf(here.name),
                              'forced',
                              `Site ${ns.home} is lost? Its namespace ${ns.namespace} moves to this site (forced): ` +
                                'only when that site is really gone, or both sites will run it.',
                            )
                          }
                        >
                          Take over {ns.home} here
                        </button>
                      )
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
