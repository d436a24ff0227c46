import { useEffect, useState } from 'react';
import { ErrorBanner } from '../components/ErrorBanner';
import { ApiError } from '../api/client';
import { nodeSpec } from '../../../domain/flow/registry';
import { flowsApi } from './api';
import type { LitStep } from './Canvas';
import { useEditor } from './context';
import type { FlowProblem, SimulationResult } from './types';

/** Simulate panel options. */
export interface SimulatePanelProps {
  flowId: string;
  /** Saves the draft when it has unsaved edits (the API simulates the saved draft); false when it failed. */
  ensureSaved: () => Promise<boolean>;
  /** The path to light on the canvas and how much of it to show. */
  onLit: (path: LitStep[], count: number) => void;
  onProblems: (problems: FlowProblem[]) => void;
}

/** How long each step of the path stays the newest lit node. */
const STEP_MS = 400;

/** Runs the draft with the caller's digits, without a call, and lights the path up node by node. */
export function SimulatePanel({ flowId, ensureSaved, onLit, onProblems }: SimulatePanelProps) {
  const definition = useEditor((s) => s.definition);
  const waits = definition.nodes.filter((n) => nodeSpec(n.type)?.takesCallerInput).length;
  const [digits, setDigits] = useState<string[]>(() => Array.from({ length: Math.max(1, waits) }, () => ''));
  const [result, setResult] = useState<SimulationResult>();
  const [error, setError] = useState<unknown>();
  const [shown, setShown] = useState(0);

  const path = result?.path ?? [];
  useEffect(() => {
    if (!result) return;
    if (shown >= path.length) return;
    const timer = setTimeout(() => setShown((n) => n + 1), STEP_MS);
    return () => clearTimeout(timer);
  }, [result, shown, path.length]);
  useEffect(() => onLit(result?.path ?? [], shown), [result, shown, onLit]);
  useEffect(() => () => onLit([], 0), [onLit]);

  const run = async () => {
    setError(undefined);
    setResult(undefined);
    setShown(0);
    if (!(await ensureSaved())) return;
    try {
      setResult(await flowsApi.simulate(flowId, digits));
    } catch (err) {
      if (err instanceof ApiError && err.status === 422)
        onProblems((err.body as { problems?: FlowProblem[] }).problems ?? []);
      setError(err);
    }
  };

  const prompts = result?.events.filter((e) => e.kind === 'prompt') ?? [];
  return (
    <section className="simulate-panel" aria-label="Simulate">
      <p className="muted">
        Digits the caller enters at each prompt that waits for input, in order ('' is silence).
      </p>
      {digits.map((value, i) => (
        <label key={i}>
          Input {i + 1}
          <input
            aria-label={`Simulated input ${i + 1}`}
            value={value}
            onChange={(e) => setDigits(digits.map((d, j) => (j === i ? e.target.value : d)))}
          />
        </label>
      ))}
      <div className="row">
        <button type="button" onClick={() => setDigits([...digits, ''])}>
          + input
        </button>
        <button type="button" className="primary" onClick={() => void run()}>
          Run simulation
        </button>
      </div>
      <ErrorBanner error={error} />
      {result && (
        <div className="sim-result">
          <h3>Path</h3>
          <ol aria-label="Simulated path">
            {result.path.slice(0, shown).map((step, i) => (
              <li key={i} data-node-id={step.nodeId}>
                {step.nodeId} {step.exit && <span className="muted">→ {step.exit}</span>}
              </li>
            ))}
          </ol>
          <h3>Prompts</h3>
          <ul aria-label="Simulated prompts">
            {prompts.map((e, i) => (
              <li key={i}>
                <span className="muted">{e.nodeId}:</span>{' '}
                {(e.media ?? []).map((m) => m.text ?? m.name ?? m.value ?? m.recordingId).join(' ')}
              </li>
            ))}
          </ul>
          <h3>Variables</h3>
          <table className="data" aria-label="Simulated variables">
            <tbody>
              {Object.entries(result.variables).map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p aria-label="Simulation ended">
            Ended by <strong>{result.ended.by}</strong>
            {result.ended.nodeId && ` at ${result.ended.nodeId}`}
            {result.ended.message && `: ${result.ended.message}`}
          </p>
        </div>
      )}
    </section>
  );
}
