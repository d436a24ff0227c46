import { useMemo } from 'react';
import { z } from 'zod';
import { FlowDefinition } from '../../../domain/flow/definition';
import { useEditor, useEditorStore } from './context';
import type { JsonSchema } from './schema-form';
import { SchemaForm } from './SchemaForm';
import type { Flow } from './types';

/** The declared variables' schema, straight from the flow language: the form and its errors follow it. */
// Wrapped in an object so the fields are named `variables.0.name` and so on, as in the API's errors.
const Variables = z.object({ variables: FlowDefinition.shape.variables });
const variablesSchema = z.toJSONSchema(Variables, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/**
 * The flow itself rather than one node: its name and description (saved with the draft) and the variables
 * it declares — initial values, and which are secrets masked in queries, logs and the console.
 */
export function FlowSettings({ flow, onChange }: { flow: Flow; onChange: (flow: Flow) => void }) {
  const store = useEditorStore();
  const variables = useEditor((s) => s.definition.variables);
  const issues = useMemo(() => {
    const found = new Map<string, string>();
    const result = Variables.safeParse({ variables });
    if (!result.success)
      for (const issue of result.error.issues) found.set(issue.path.map(String).join('.'), issue.message);
    return found;
  }, [variables]);
  return (
    <section className="flow-settings" aria-label="Flow settings">
      <label>
        name
        <input
          aria-label="Flow name"
          value={flow.name}
          maxLength={120}
          onChange={(e) => onChange({ ...flow, name: e.target.value })}
        />
      </label>
      <label>
        description
        <textarea
          aria-label="Flow description"
          value={flow.description}
          maxLength={2000}
          onChange={(e) => onChange({ ...flow, description: e.target.value })}
        />
      </label>
      <h3>Variables</h3>
      <p className="muted">
        Declared variables start with their initial value on every call; secrets are masked wherever the call
        is shown.
      </p>
      <SchemaForm
        schema={variablesSchema}
        value={{ variables }}
        issues={issues}
        onChange={(next) =>
          store.getState().setVariables((next as { variables: FlowDefinition['variables'] }).variables)
        }
      />
    </section>
  );
}
