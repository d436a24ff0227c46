import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './designer.css';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { href } from '../router';
import { flowsApi } from './api';
import { Canvas, type LitStep } from './Canvas';
import { EditorContext, useEditor, useEditorStore } from './context';
import { Palette } from './Palette';
import { PropertyPanel } from './PropertyPanel';
import { SimulatePanel } from './SimulatePanel';
import { createEditorStore } from './store';
import { FlowSettings } from './FlowSettings';
import type { Flow, FlowProblem } from './types';
import { VersionsPanel } from './VersionsPanel';

const Tab = {
  Properties: 'Properties',
  Problems: 'Problems',
  Simulate: 'Simulate',
  Versions: 'Versions',
  Flow: 'Flow',
} as const;
type Tab = (typeof Tab)[keyof typeof Tab];

/** `#/flows/<id>`: the flow's draft on a canvas. */
export function FlowEditor({ flowId }: { flowId: string }) {
  const store = useMemo(() => createEditorStore(), []);
  const [flow, setFlow] = useState<Flow>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    flowsApi.get(flowId).then((f) => (store.getState().load(f.definition), setFlow(f)), setError);
  }, [flowId, store]);
  if (!flow) return error ? <ErrorBanner error={error} /> : <p className="loading">Loading…</p>;
  return (
    <EditorContext.Provider value={store}>
      <ReactFlowProvider>
        <EditorBody flow={flow} setFlow={setFlow} />
      </ReactFlowProvider>
    </EditorContext.Provider>
  );
}

function EditorBody({ flow, setFlow }: { flow: Flow; setFlow: (f: Flow) => void }) {
  const store = useEditorStore();
  const view = useReactFlow();
  const dirty = useEditor((s) => s.dirty);
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const [tab, setTab] = useState<Tab>(Tab.Properties);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [problems, setProblems] = useState<FlowProblem[] | null>(null);
  const [lit, setLit] = useState<{ path: LitStep[]; count: number }>({ path: [], count: 0 });
  const [refresh, setRefresh] = useState(0);
  const flowRef = useRef(flow);
  flowRef.current = flow;

  const save = useCallback(async (): Promise<boolean> => {
    setError(undefined);
    try {
      const saved = await flowsApi.save(flowRef.current, store.getState().definition);
      store.getState().markSaved();
      setFlow(saved);
      flowRef.current = saved;
      setNotice(`Saved draft (version ${saved.version})`);
      return true;
    } catch (err) {
      // 409 on the version: someone saved since this editor loaded; their edits must not be overwritten
      // silently. Other conflicts (a name already taken) speak for themselves.
      if (err instanceof ApiError && err.status === 409 && /version/.test(err.message))
        setError(
          new Error(
            `Not saved: someone else saved this flow since you opened it. Reload to see their version. (${err.message})`,
          ),
        );
      else setError(err);
      return false;
    }
  }, [store, setFlow]);
  // Name and description are saved with the draft, so editing them makes the draft unsaved.
  const renameLocally = useCallback(
    (next: Flow) => {
      setFlow(next);
      store.setState({ dirty: true });
    },
    [store, setFlow],
  );
  const ensureSaved = useCallback(async () => (store.getState().dirty ? save() : true), [store, save]);

  const showProblems = (list: FlowProblem[]) => {
    setProblems(list);
    setTab(Tab.Problems);
  };
  const validate = async () => {
    if (!(await ensureSaved())) return;
    try {
      const report = await flowsApi.validate(flow.id);
      showProblems(report.problems);
      setNotice(report.valid ? 'The flow is valid' : `${report.problems.length} problems`);
    } catch (err) {
      setError(err);
    }
  };
  const publish = async () => {
    if (!(await ensureSaved())) return;
    try {
      const { number } = await flowsApi.publish(flow.id);
      setNotice(`Published version ${number}`);
      setFlow({ ...flowRef.current, latestPublished: number });
      setRefresh((r) => r + 1);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        showProblems((err.body as { problems?: FlowProblem[] }).problems ?? []);
        setError(new Error('Not published: the flow has problems (listed under Problems)'));
      } else setError(err);
    }
  };
  const focusNode = (id: string) => {
    store.getState().select([id]);
    void view.fitView({ nodes: [{ id }], duration: 300, maxZoom: 1.2 });
  };
  const onLit = useCallback((path: LitStep[], count: number) => setLit({ path, count }), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable]')) return;
      const mod = e.ctrlKey || e.metaKey;
      const s = store.getState();
      const key = e.key.toLowerCase();
      const handled = (): void => e.preventDefault();
      if (mod && key === 'z') {
        handled();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (mod && key === 'y') {
        handled();
        s.redo();
      } else if (mod && key === 'c') s.copy();
      else if (mod && key === 'v') {
        handled();
        s.paste();
      } else if (mod && key === 's') {
        handled();
        void save();
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        handled();
        s.deleteSelected();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, save]);

  return (
    <div className="flow-editor">
      <div className="toolbar editor-toolbar">
        <a href={href('flows')}>← Flows</a>
        <strong className="flow-name">{flow.name}</strong>
        <span className="badge" aria-label="Draft state">
          {dirty ? 'unsaved' : `draft v${flow.version}`}
          {flow.latestPublished ? ` · published v${flow.latestPublished}` : ''}
        </span>
        <button
          type="button"
          aria-label="Undo"
          title="Undo (Ctrl+Z)"
          disabled={!canUndo}
          onClick={() => store.getState().undo()}
        >
          ↶ Undo
        </button>
        <button
          type="button"
          aria-label="Redo"
          title="Redo (Ctrl+Shift+Z)"
          disabled={!canRedo}
          onClick={() => store.getState().redo()}
        >
          ↷ Redo
        </button>
        <button type="button" aria-label="Delete selected" onClick={() => store.getState().deleteSelected()}>
          Delete
        </button>
        <button
          type="button"
          aria-label="Zoom to fit"
          onClick={() => void view.fitView({ duration: 300, maxZoom: 1 })}
        >
          Fit
        </button>
        <span className="spacer" />
        <button type="button" onClick={() => void save()}>
          Save draft
        </button>
        <button type="button" onClick={() => void validate()}>
          Validate
        </button>
        <button type="button" className="primary" onClick={() => void publish()}>
          Publish
        </button>
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <div className="editor-main">
        <Palette />
        <Canvas litPath={lit.path} litCount={lit.count} />
        <aside className="side-panel">
          <div role="tablist" aria-label="Editor panels" className="tabs">
            {Object.values(Tab).map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
                {t}
              </button>
            ))}
          </div>
          <div className="tab-body">
            {tab === Tab.Properties && <PropertyPanel />}
            {tab === Tab.Problems && <ProblemList problems={problems} onFocus={focusNode} />}
            {tab === Tab.Simulate && (
              <SimulatePanel
                flowId={flow.id}
                ensureSaved={ensureSaved}
                onLit={onLit}
                onProblems={showProblems}
              />
            )}
            {tab === Tab.Versions && <VersionsPanel flowId={flow.id} refresh={refresh} />}
            {tab === Tab.Flow && <FlowSettings flow={flow} onChange={renameLocally} />}
          </div>
        </aside>
      </div>
    </div>
  );
}

function ProblemList({
  problems,
  onFocus,
}: {
  problems: FlowProblem[] | null;
  onFocus: (id: string) => void;
}) {
  if (!problems) return <p className="muted">Press Validate to check the saved draft.</p>;
  if (!problems.length) return <p className="ok">No problems: the flow can be published.</p>;
  return (
    <ul className="problem-list" aria-label="Problems">
      {problems.map((p, i) => (
        <li key={i}>
          {p.nodeId ? (
            <button type="button" className="link" onClick={() => onFocus(p.nodeId!)}>
              {p.nodeId}
            </button>
          ) : (
            <code>{p.path}</code>
          )}{' '}
          <span className="badge">{p.code}</span> {p.message}
        </li>
      ))}
    </ul>
  );
}
