import { useEffect, useMemo, useState } from 'react';
import { apiBlobUrl } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { nodeSpec } from '../../../domain/flow/registry';
import { useEditor, useEditorStore } from './context';
import { paramIssues, paramsSchema } from './schema-form';
import { SchemaForm } from './SchemaForm';

/** The selected node's properties, as a form generated from its type's params schema. */
export function PropertyPanel() {
  const store = useEditorStore();
  const selected = useEditor((s) => s.selected);
  const definition = useEditor((s) => s.definition);
  const node = selected.length === 1 ? definition.nodes.find((n) => n.id === selected[0]) : undefined;
  const issues = useMemo(
    () => (node ? paramIssues(node.type, node.params) : new Map<string, string>()),
    [node],
  );
  if (!node)
    return (
      <p className="muted">
        {selected.length > 1 ? `${selected.length} nodes selected.` : 'Select a node to edit its properties.'}
      </p>
    );
  const spec = nodeSpec(node.type);
  const schema = paramsSchema(node.type);
  return (
    <section className="property-panel" aria-label={`Properties of ${node.id}`}>
      <h2>
        {spec?.title ?? node.type} <span className="muted">{node.id}</span>
      </h2>
      <label>
        label
        <input
          aria-label="label"
          value={node.label ?? ''}
          onChange={(e) => store.getState().updateNode(node.id, { label: e.target.value || undefined })}
        />
      </label>
      <button
        type="button"
        disabled={definition.start === node.id}
        onClick={() => store.getState().setStart(node.id)}
      >
        {definition.start === node.id ? 'Start node' : 'Set as start'}
      </button>
      {schema ? (
        <SchemaForm
          schema={schema}
          value={node.params}
          issues={issues}
          onChange={(params) =>
            store.getState().updateNode(node.id, { params: params as Record<string, unknown> })
          }
          extra={(path, value) => {
            const prompt = value as { kind?: string; text?: string; voice?: string } | undefined;
            return prompt?.kind === 'tts' ? (
              <TtsPreview path={path} text={prompt.text} voice={prompt.voice} />
            ) : null;
          }}
        />
      ) : (
        <p className="field-error">Unknown node type {node.type}</p>
      )}
    </section>
  );
}

/** Plays a TTS prompt as a call would hear it (the gateway speaks it with espeak-ng). */
function TtsPreview({ path, text, voice }: { path: string; text?: string; voice?: string }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const play = async () => {
    setBusy(true);
    try {
      setUrl(await apiBlobUrl('POST', '/v1/recordings/tts-preview', { text, voice: voice || undefined }));
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="tts-preview">
      <button
        type="button"
        aria-label={`Preview ${path}`}
        disabled={!text || busy}
        onClick={() => void play()}
      >
        ▶ Preview
      </button>
      {url && <audio aria-label={`Preview audio of ${path}`} src={url} controls autoPlay />}
      <ErrorBanner error={error} />
    </div>
  );
}
