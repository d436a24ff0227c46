import { nodeSpec } from '../../domain/flow/registry';
import {
  addNode,
  connect,
  copyNodes,
  diffDefinitions,
  emptyDefinition,
  exitsOf,
  newNodeId,
  pasteClip,
  removeNodes,
  updateNode,
} from '../../ui/src/designer/graph';
import {
  defaultParams,
  defaultValue,
  discriminator,
  FieldKind,
  fieldKind,
  paramIssues,
  paramsSchema,
  setAt,
  variantOf,
} from '../../ui/src/designer/schema-form';
import { createEditorStore } from '../../ui/src/designer/store';
import type { FlowDefinition } from '../../ui/src/designer/types';

// The designer's pure parts: graph edits, the version diff, undo/redo, and the form derived from zod schemas.
const tts = (text: string) => ({ kind: 'tts', text, voice: 'en-us' });
const flow = (): FlowDefinition => ({
  schemaVersion: 1,
  start: 'greet',
  nodes: [
    { id: 'greet', type: 'play', params: { prompt: tts('Hello') }, position: { x: 0, y: 0 } },
    {
      id: 'menu',
      type: 'menu',
      params: { prompt: tts('Press 1'), options: [{ digit: '1' }, { digit: '2' }] },
      position: { x: 200, y: 0 },
    },
    { id: 'bye', type: 'hangup', params: { reason: 'normal' }, position: { x: 400, y: 0 } },
  ],
  edges: [
    { from: 'greet', exit: 'next', to: 'menu' },
    { from: 'menu', exit: 'option:1', to: 'bye' },
    { from: 'menu', exit: 'option:2', to: 'bye' },
  ],
  variables: [],
});

describe('graph edits', () => {
  test('exits follow the params; ids are readable and unique', () => {
    expect(exitsOf(flow().nodes[1]!)).toEqual(['option:1', 'option:2', 'invalid', 'no_input']);
    expect(exitsOf({ type: 'hangup', params: {} })).toEqual([]);
    expect(newNodeId('play', ['play', 'play_2'])).toBe('play_3');
    expect(newNodeId('menu', ['play'])).toBe('menu');
  });

  test('connecting an exit again replaces its edge; unknown exits and nodes are refused', () => {
    const def = flow();
    const next = connect(def, { from: 'menu', exit: 'option:1', to: 'greet' });
    expect(next.edges.filter((e) => e.from === 'menu' && e.exit === 'option:1')).toEqual([
      { from: 'menu', exit: 'option:1', to: 'greet' },
    ]);
    expect(connect(def, { from: 'menu', exit: 'option:9', to: 'bye' })).toBe(def);
    expect(connect(def, { from: 'menu', exit: 'invalid', to: 'nowhere' })).toBe(def);
  });

  test('removing a menu option drops the edge of its exit; removing a node drops its edges and moves start', () => {
    const def = flow();
    const fewer = updateNode(def, 'menu', {
      params: { prompt: tts('Press 1'), options: [{ digit: '1' }] },
    });
    expect(fewer.edges.map((e) => e.exit)).toEqual(['next', 'option:1']);
    const gone = removeNodes(def, ['greet']);
    expect(gone.start).toBe('menu');
    expect(gone.edges.some((e) => e.from === 'greet')).toBe(false);
    // A definition keeps at least one node.
    expect(removeNodes(def, ['greet', 'menu', 'bye'])).toBe(def);
  });

  test('paste copies nodes and their inner edges with fresh ids, shifted', () => {
    const def = flow();
    const clip = copyNodes(def, ['menu', 'bye']);
    expect(clip.edges).toHaveLength(2);
    const { definition, ids } = pasteClip(def, clip);
    expect(ids).toEqual(['menu_2', 'hangup']);
    expect(definition.nodes.find((n) => n.id === 'menu_2')!.position).toEqual({ x: 240, y: 40 });
    expect(definition.edges.filter((e) => e.from === 'menu_2').map((e) => e.to)).toEqual([
      'hangup',
      'hangup',
    ]);
  });
});

test('diff of two versions: nodes added, removed and changed (moves ignored), edges and start', () => {
  const a = flow();
  let b = addNode(a, {
    id: 'ask',
    type: 'gather',
    params: { variable: 'x', maxDigits: 4 },
    position: { x: 0, y: 0 },
  });
  b = updateNode(b, 'greet', { params: { prompt: tts('Welcome') }, position: { x: 99, y: 99 } });
  b = updateNode(b, 'menu', { position: { x: 5, y: 5 } });
  b = connect(removeNodes(b, ['bye']), { from: 'greet', exit: 'next', to: 'ask' });
  b = { ...b, start: 'menu' };
  const diff = diffDefinitions(a, b);
  expect(diff.added).toEqual(['ask']);
  expect(diff.removed).toEqual(['bye']);
  expect(diff.changed).toEqual([{ id: 'greet', fields: ['params.prompt'] }]);
  expect(diff.edgesAdded).toEqual([{ from: 'greet', exit: 'next', to: 'ask' }]);
  expect(diff.edgesRemoved).toHaveLength(3);
  expect(diff.startChanged).toEqual({ from: 'greet', to: 'menu' });
  expect(diffDefinitions(a, flow())).toMatchObject({
    added: [],
    removed: [],
    changed: [],
    startChanged: null,
  });
});

describe('editor store', () => {
  test('undo and redo step through edits; a drag is one step; a new edit clears redo', () => {
    const store = createEditorStore(flow());
    const s = () => store.getState();
    s().addNode({ id: 'say', type: 'say', params: { as: 'digits', value: '1' }, position: { x: 0, y: 0 } });
    s().connect({ from: 'greet', exit: 'next', to: 'say' });
    expect(s().dirty).toBe(true);
    s().checkpoint();
    s().moveNodes(new Map([['say', { x: 10, y: 10 }]]));
    s().moveNodes(new Map([['say', { x: 20, y: 20 }]]));
    expect(s().past).toHaveLength(3);
    s().undo();
    expect(s().definition.nodes.find((n) => n.id === 'say')!.position).toEqual({ x: 0, y: 0 });
    s().undo();
    expect(s().definition.edges.find((e) => e.from === 'greet')!.to).toBe('menu');
    s().undo();
    expect(s().definition.nodes.map((n) => n.id)).toEqual(['greet', 'menu', 'bye']);
    s().undo(); // nothing left: no-op
    s().redo();
    s().redo();
    expect(s().definition.edges.find((e) => e.from === 'greet')!.to).toBe('say');
    s().setStart('menu');
    expect(s().future).toEqual([]);
    s().undo();
    expect(s().definition.start).toBe('greet');
  });

  test('delete, copy and paste of the selection', () => {
    const store = createEditorStore(flow());
    const s = () => store.getState();
    s().select(['menu']);
    s().copy();
    s().paste();
    expect(s().selected).toEqual(['menu_2']);
    s().paste();
    expect(s().definition.nodes.map((n) => n.id)).toContain('menu_3');
    expect(s().definition.nodes.find((n) => n.id === 'menu_3')!.position).toEqual({ x: 280, y: 80 });
    s().select(['menu'], ['greet:next']);
    s().deleteSelected();
    expect(s().definition.nodes.some((n) => n.id === 'menu')).toBe(false);
    expect(s().definition.edges).toEqual([]);
    s().undo();
    expect(s().definition.edges).toHaveLength(3);
  });
});

describe('form derived from the zod params schema', () => {
  test('field kinds of a menu, http and hours node', () => {
    const menu = paramsSchema('menu')!;
    expect(fieldKind(menu)).toBe(FieldKind.Object);
    expect(fieldKind(menu.properties!.prompt!)).toBe(FieldKind.Union);
    expect(discriminator(menu.properties!.prompt!)).toBe('kind');
    expect(variantOf(menu.properties!.prompt!, { kind: 'tts' })!.required).toEqual(['kind', 'text']);
    expect(fieldKind(menu.properties!.options!)).toBe(FieldKind.Array);
    expect(fieldKind(menu.properties!.timeoutMs!)).toBe(FieldKind.Integer);
    const http = paramsSchema('http')!;
    expect(fieldKind(http.properties!.method!)).toBe(FieldKind.Enum);
    expect(fieldKind(http.properties!.headers!)).toBe(FieldKind.Record);
    expect(fieldKind(http.properties!.url!)).toBe(FieldKind.String);
    expect(fieldKind(paramsSchema('hours')!.properties!.weekly!.items!.properties!.days!.items!)).toBe(
      FieldKind.Enum,
    );
  });

  test('a new node gets defaults and the smallest shape; the spec says what is still missing', () => {
    expect(defaultParams('hangup')).toEqual({ reason: 'normal' });
    expect(defaultParams('play')).toEqual({ prompt: { kind: 'sound', name: '' } });
    expect(defaultParams('menu')).toMatchObject({ options: [{ digit: '' }] });
    expect(defaultValue({ type: 'integer', minimum: 3 })).toBe(3);
    // The issues come from the node type's own zod schema, keyed by field path.
    const issues = paramIssues('play', { prompt: { kind: 'tts', text: '' } });
    expect([...issues.keys()]).toEqual(['prompt.text']);
    expect(paramIssues('play', { prompt: tts('Hi') }).size).toBe(0);
    expect(nodeSpec('play')!.params.safeParse(defaultParams('play')).success).toBe(false);
  });

  test('setAt copies along the path and removes undefined fields', () => {
    const value = { prompt: { kind: 'tts', text: 'a' }, options: [{ digit: '1' }] };
    const next = setAt(value, ['options', 0, 'digit'], '2') as typeof value;
    expect(next.options[0]!.digit).toBe('2');
    expect(value.options[0]!.digit).toBe('1');
    expect(next.prompt).toBe(value.prompt);
    expect(setAt(value, ['prompt'], undefined)).toEqual({ options: [{ digit: '1' }] });
  });
});

test('an empty definition is a valid start for a new flow', () => {
  expect(emptyDefinition().nodes).toHaveLength(1);
});
