import { useEffect, useMemo, useState } from 'react';
import { ErrorBanner } from '../components/ErrorBanner';
import { useApi } from '../components/useApi';
import type { Rollout } from '../../../domain/flow/rollout';
import { flowsApi } from './api';
import { diffDefinitions } from './graph';
import type { FlowVersion } from './types';

/** Version history with a diff of two versions, and the rollout rule (canary share, rollback). */
export function VersionsPanel({ flowId, refresh }: { flowId: string; refresh: number }) {
  const versions = useApi<{ versions: FlowVersion[] }>(`/v1/flows/${flowId}/versions?r=${refresh}`);
  const rollout = useApi<{ rollout: Rollout | null }>(`/v1/flows/${flowId}/rollout?r=${refresh}`);
  const list = versions.data?.versions ?? [];
  const [a, setA] = useState<number>();
  const [b, setB] = useState<number>();
  useEffect(() => {
    // Newest first: compare the previous version with the latest by default.
    if (list.length >= 2 && a === undefined) {
      setA(list[1]!.number);
      setB(list[0]!.number);
    }
  }, [list, a]);
  const diff = useMemo(() => {
    const va = list.find((v) => v.number === a);
    const vb = list.find((v) => v.number === b);
    return va && vb ? diffDefinitions(va.definition, vb.definition) : null;
  }, [list, a, b]);

  return (
    <section className="versions-panel" aria-label="Versions">
      <ErrorBanner error={versions.error ?? rollout.error} />
      <RolloutEditor
        flowId={flowId}
        versions={list.map((v) => v.number)}
        rollout={rollout.data?.rollout ?? null}
        onSaved={rollout.reload}
      />
      <h3>History</h3>
      {list.length === 0 && <p className="muted">Nothing published yet.</p>}
      <table className="data" aria-label="Published versions">
        <tbody>
          {list.map((v) => (
            <tr key={v.number}>
              <td>v{v.number}</td>
              <td className="muted">{new Date(v.publishedAt).toLocaleString()}</td>
              <td>
                {rollout.data?.rollout?.stable === v.number ? (
                  <span className="badge">stable</span>
                ) : (
                  <RollbackButton
                    flowId={flowId}
                    version={v.number}
                    stable={rollout.data?.rollout?.stable}
                    onDone={rollout.reload}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length >= 2 && (
        <>
          <h3>Compare</h3>
          <div className="row">
            <VersionSelect label="From version" value={a} versions={list} onChange={setA} />
            <VersionSelect label="To version" value={b} versions={list} onChange={setB} />
          </div>
          {diff && (
            <ul className="diff" aria-label="Version diff">
              {diff.added.map((id) => (
                <li key={`a${id}`} className="diff-added">
                  + node {id}
                </li>
              ))}
              {diff.removed.map((id) => (
                <li key={`r${id}`} className="diff-removed">
                  − node {id}
                </li>
              ))}
              {diff.changed.map((c) => (
                <li key={`c${c.id}`} className="diff-changed">
                  ~ node {c.id}: {c.fields.join(', ')}
                </li>
              ))}
              {diff.edgesAdded.map((e) => (
                <li key={`ea${e.from}${e.exit}`} className="diff-added">
                  + edge {e.from} {e.exit} → {e.to}
                </li>
              ))}
              {diff.edgesRemoved.map((e) => (
                <li key={`er${e.from}${e.exit}`} className="diff-removed">
                  − edge {e.from} {e.exit} → {e.to}
                </li>
              ))}
              {diff.startChanged && (
                <li className="diff-changed">
                  ~ start {diff.startChanged.from} → {diff.startChanged.to}
                </li>
              )}
              {!diff.added.length &&
                !diff.removed.length &&
                !diff.changed.length &&
                !diff.edgesAdded.length &&
                !diff.edgesRemoved.length &&
                !diff.startChanged && <li className="muted">No differences.</li>}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function VersionSelect(props: {
  label: string;
  value?: number;
  versions: FlowVersion[];
  onChange: (n: number) => void;
}) {
  return (
    <label>
      {props.label}
      <select
        aria-label={props.label}
        value={props.value ?? ''}
        onChange={(e) => props.onChange(Number(e.target.value))}
      >
        {props.versions.map((v) => (
          <option key={v.number} value={v.number}>
            v{v.number}
          </option>
        ))}
      </select>
    </label>
  );
}

function RollbackButton({
  flowId,
  version,
  stable,
  onDone,
}: {
  flowId: string;
  version: number;
  stable?: number;
  onDone: () => void;
}) {
  const [error, setError] = useState<unknown>();
  // Replacing the rule with an older stable version is the rollback; a newer one is a plain promotion.
  const text =
    stable !== undefined && version < stable ? `Roll back to v${version}` : `Make v${version} stable`;
  return (
    <>
      <button
        type="button"
        onClick={() => void flowsApi.setRollout(flowId, { stable: version }).then(onDone, setError)}
      >
        {text}
      </button>
      <ErrorBanner error={error} />
    </>
  );
}

/** The rollout rule: the stable version and an optional canary for caller segments and a share of calls. */
function RolloutEditor(props: {
  flowId: string;
  versions: number[];
  rollout: Rollout | null;
  onSaved: () => void;
}) {
  const [stable, setStable] = useState<number>();
  const [canary, setCanary] = useState<number | ''>('');
  const [percent, setPercent] = useState(10);
  const [callers, setCallers] = useState('');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setStable(props.rollout?.stable);
    setCanary(props.rollout?.canary?.version ?? '');
    setPercent(props.rollout?.canary?.percent ?? 10);
    setCallers((props.rollout?.canary?.callers ?? []).join(', '));
  }, [props.rollout]);
  if (!props.versions.length) return null;
  const save = () => {
    setSaved(false);
    const rule: Rollout = { stable: stable ?? props.versions[0]! };
    const segments = callers
      .split(/[\s,]+/)
      .map((c) => c.trim())
      .filter(Boolean);
    if (canary !== '') rule.canary = { version: canary, percent, callers: segments };
    flowsApi
      .setRollout(props.flowId, rule)
      .then(() => (setError(undefined), setSaved(true), props.onSaved()), setError);
  };
  return (
    <fieldset className="rollout">
      <legend>Rollout</legend>
      <label>
        Stable version
        <select
          aria-label="Stable version"
          value={stable ?? ''}
          onChange={(e) => setStable(Number(e.target.value))}
        >
          {props.rollout === null && <option value="">—</option>}
          {props.versions.map((n) => (
            <option key={n} value={n}>
              v{n}
            </option>
          ))}
        </select>
      </label>
      <label>
        Canary version
        <select
          aria-label="Canary version"
          value={canary}
          onChange={(e) => setCanary(e.target.value === '' ? '' : Number(e.target.value))}
        >
          <option value="">none</option>
          {props.versions.map((n) => (
            <option key={n} value={n}>
              v{n}
            </option>
          ))}
        </select>
      </label>
      {canary !== '' && (
        <label>
          Canary share: {percent}%
          <input
            type="range"
            aria-label="Canary percent"
            min={0}
            max={100}
            step={1}
            value={percent}
            onChange={(e) => setPercent(Number(e.target.value))}
          />
        </label>
      )}
      {canary !== '' && (
        <label>
          Canary callers (number prefixes, comma-separated): these customers always get the canary
          <input
            aria-label="Canary callers"
            value={callers}
            placeholder="+3314, 555010"
            onChange={(e) => setCallers(e.target.value)}
          />
        </label>
      )}
      <button type="button" onClick={save}>
        Save rollout
      </button>
      {saved && <span className="muted"> saved</span>}
      <ErrorBanner error={error} />
    </fieldset>
  );
}
