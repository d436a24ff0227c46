import type { ReactNode } from 'react';
import {
  defaultValue,
  discriminator,
  FieldKind,
  fieldKind,
  setAt,
  variantOf,
  variantsOf,
  type JsonSchema,
} from './schema-form';

/** Options of the generic form renderer. */
export interface SchemaFormProps {
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  /** zod issues by dotted field path, shown under the field they name. */
  issues: ReadonlyMap<string, string>;
  /** Extra controls after an object field (a prompt's Preview button). */
  extra?: (path: string, value: unknown) => ReactNode;
}

type Path = (string | number)[];

/** A form for any params schema of the flow language: one renderer, no per-node-type copies of the rules. */
export function SchemaForm({ schema, value, onChange, issues, extra }: SchemaFormProps) {
  const change = (path: Path, next: unknown) => onChange(setAt(value, path, next));
  return (
    <div className="schema-form">
      <Field schema={schema} value={value} path={[]} required ctx={{ change, issues, extra }} />
      {issues.get('') && <p className="field-error">{issues.get('')}</p>}
    </div>
  );
}

interface Ctx {
  change: (path: Path, next: unknown) => void;
  issues: ReadonlyMap<string, string>;
  extra?: SchemaFormProps['extra'];
}

interface FieldProps {
  schema: JsonSchema;
  value: unknown;
  path: Path;
  required: boolean;
  ctx: Ctx;
}

function Field({ schema, value, path, required, ctx }: FieldProps) {
  const name = path.join('.');
  const label = String(path.at(-1) ?? '');
  const error = ctx.issues.get(name);
  const kind = fieldKind(schema);
  const set = (next: unknown) => ctx.change(path, next);

  // An optional object (a menu's invalidPrompt) is absent until asked for.
  if (!required && value === undefined && (kind === FieldKind.Object || kind === FieldKind.Union))
    return (
      <div className="field">
        <button type="button" aria-label={`Add ${name}`} onClick={() => set(defaultValue(schema))}>
          + {label}
        </button>
      </div>
    );

  const errorLine = error && (
    <span className="field-error" role="alert" aria-label={`${name} error`}>
      {error}
    </span>
  );
  const removable = !required && (
    <button type="button" className="link" aria-label={`Remove ${name}`} onClick={() => set(undefined)}>
      remove
    </button>
  );

  switch (kind) {
    case FieldKind.Object:
      return (
        <fieldset className={path.length ? 'field group' : 'field root'}>
          {path.length > 0 && (
            <legend>
              {label} {removable}
            </legend>
          )}
          {Object.entries(schema.properties ?? {}).map(([key, child]) => (
            <Field
              key={key}
              schema={child}
              value={(value as Record<string, unknown> | undefined)?.[key]}
              path={[...path, key]}
              required={schema.required?.includes(key) ?? false}
              ctx={ctx}
            />
          ))}
          {ctx.extra?.(name, value)}
          {errorLine}
        </fieldset>
      );
    case FieldKind.Union: {
      const key = discriminator(schema);
      const variant = variantOf(schema, value);
      if (!key || !variant)
        return <JsonField name={name} label={label} value={value} set={set} error={error} />;
      const tags = variantsOf(schema).map((v) => String(v.properties![key]!.const));
      const body = { ...variant, properties: { ...variant.properties } };
      delete body.properties[key];
      return (
        <fieldset className="field group">
          <legend>
            {label} {removable}
          </legend>
          <label>
            {key}
            <select
              aria-label={`${name}.${key}`}
              value={String((value as Record<string, unknown> | undefined)?.[key] ?? tags[0])}
              onChange={(e) => {
                const next = variantsOf(schema).find((v) => v.properties![key]!.const === e.target.value)!;
                set(defaultValue(next));
              }}
            >
              {tags.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          {Object.entries(body.properties).map(([prop, child]) => (
            <Field
              key={prop}
              schema={child}
              value={(value as Record<string, unknown> | undefined)?.[prop]}
              path={[...path, prop]}
              required={variant.required?.includes(prop) ?? false}
              ctx={ctx}
            />
          ))}
          {ctx.extra?.(name, value)}
          {errorLine}
        </fieldset>
      );
    }
    case FieldKind.Enum:
      return (
        <label className="field">
          {label}
          <select
            aria-label={name}
            value={value === undefined ? '' : String(value)}
            onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)}
          >
            {(!required || value === undefined) && <option value="">—</option>}
            {schema.enum!.map((option) => (
              <option key={String(option)}>{String(option)}</option>
            ))}
          </select>
          {errorLine}
        </label>
      );
    case FieldKind.Boolean:
      return (
        <label className="field inline">
          <input
            type="checkbox"
            aria-label={name}
            checked={value === true}
            onChange={(e) => set(e.target.checked)}
          />
          {label}
          {errorLine}
        </label>
      );
    case FieldKind.Number:
    case FieldKind.Integer:
      return (
        <label className="field">
          {label}
          <input
            type="number"
            aria-label={name}
            aria-invalid={Boolean(error)}
            min={schema.minimum}
            max={schema.maximum}
            step={kind === FieldKind.Integer ? 1 : 'any'}
            placeholder={schema.default === undefined ? '' : `default ${String(schema.default)}`}
            value={typeof value === 'number' ? value : ''}
            onChange={(e) => set(e.target.value === '' ? undefined : Number(e.target.value))}
          />
          {errorLine}
        </label>
      );
    case FieldKind.String: {
      const long = (schema.maxLength ?? 0) > 200;
      const props = {
        'aria-label': name,
        'aria-invalid': Boolean(error),
        placeholder: schema.default === undefined ? '' : `default ${String(schema.default)}`,
        value: typeof value === 'string' ? value : '',
        onChange: (e: { target: { value: string } }) =>
          set(e.target.value === '' && !required ? undefined : e.target.value),
      };
      return (
        <label className="field">
          {label}
          {long ? <textarea rows={2} {...props} /> : <input type="text" {...props} />}
          {errorLine}
        </label>
      );
    }
    case FieldKind.Array:
      return <ArrayField schema={schema} value={value} path={path} ctx={ctx} error={errorLine} />;
    case FieldKind.Record:
      return <RecordField schema={schema} value={value} path={path} ctx={ctx} error={errorLine} />;
    default:
      return <JsonField name={name} label={label} value={value} set={set} error={error} />;
  }
}

function ArrayField({
  schema,
  value,
  path,
  ctx,
  error,
}: Omit<FieldProps, 'required'> & { error: ReactNode }) {
  const name = path.join('.');
  const items = Array.isArray(value) ? (value as unknown[]) : [];
  const item = schema.items ?? {};
  // A set of choices (weekdays) reads best as checkboxes.
  if (fieldKind(item) === FieldKind.Enum)
    return (
      <fieldset className="field group">
        <legend>{String(path.at(-1))}</legend>
        <div className="checks">
          {item.enum!.map((option) => (
            <label key={String(option)} className="inline">
              <input
                type="checkbox"
                aria-label={`${name} ${String(option)}`}
                checked={items.includes(option)}
                onChange={(e) =>
                  ctx.change(path, e.target.checked ? [...items, option] : items.filter((x) => x !== option))
                }
              />
              {String(option)}
            </label>
          ))}
        </div>
        {error}
      </fieldset>
    );
  return (
    <fieldset className="field group">
      <legend>{String(path.at(-1))}</legend>
      {items.map((entry, index) => (
        <div className="array-item" key={index}>
          <Field schema={item} value={entry} path={[...path, index]} required ctx={ctx} />
          <button
            type="button"
            className="link"
            aria-label={`Remove ${name}.${index}`}
            onClick={() =>
              ctx.change(
                path,
                items.filter((_, i) => i !== index),
              )
            }
          >
            remove
          </button>
        </div>
      ))}
      <button
        type="button"
        aria-label={`Add to ${name}`}
        onClick={() => ctx.change(path, [...items, defaultValue(item)])}
      >
        + add
      </button>
      {error}
    </fieldset>
  );
}

function RecordField({
  schema,
  value,
  path,
  ctx,
  error,
}: Omit<FieldProps, 'required'> & { error: ReactNode }) {
  const name = path.join('.');
  const entries = Object.entries((value as Record<string, unknown> | undefined) ?? {});
  const item = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : {};
  const rebuild = (list: [string, unknown][]) => ctx.change(path, Object.fromEntries(list));
  return (
    <fieldset className="field group">
      <legend>{String(path.at(-1))}</legend>
      {entries.map(([key, entry], index) => (
        <div className="record-row" key={index}>
          <input
            aria-label={`${name} key ${index + 1}`}
            value={key}
            onChange={(e) => rebuild(entries.map((x, i) => (i === index ? [e.target.value, x[1]] : x)))}
          />
          <Field schema={item} value={entry} path={[...path, key]} required ctx={ctx} />
          <button
            type="button"
            className="link"
            aria-label={`Remove ${name}.${key}`}
            onClick={() => rebuild(entries.filter((_, i) => i !== index))}
          >
            remove
          </button>
        </div>
      ))}
      <button
        type="button"
        aria-label={`Add to ${name}`}
        onClick={() => rebuild([...entries, [`key${entries.length + 1}`, defaultValue(item)]])}
      >
        + add
      </button>
      {error}
    </fieldset>
  );
}

/** Anything the renderer has no control for is edited as JSON rather than hidden. */
function JsonField(props: {
  name: string;
  label: string;
  value: unknown;
  set: (v: unknown) => void;
  error?: string;
}) {
  return (
    <label className="field">
      {props.label}
      <textarea
        aria-label={props.name}
        rows={3}
        defaultValue={JSON.stringify(props.value ?? null, null, 2)}
        onBlur={(e) => {
          try {
            props.set(JSON.parse(e.target.value));
          } catch {
            // left as typed: the field error below says what is wrong once it parses
          }
        }}
      />
      {props.error && <span className="field-error">{props.error}</span>}
    </label>
  );
}
