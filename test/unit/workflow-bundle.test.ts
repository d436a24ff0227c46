import { loadWorkflowBundle } from '../../workers/workflow-bundle';

test('the workflow bundle carries no schema library: every call pays for what the sandbox loads', async () => {
  const { code } = await loadWorkflowBundle();
  // zod in the bundle once made the answer hop 8x slower (docs/benchmarks.md); parameters are normalized
  // before a call starts instead.
  expect(code).not.toMatch(/node_modules\/zod\//);
  expect(code).toMatch(/FlowCallWorkflow/);
  // What the sandbox evaluates is the code before the inline source map (~1.9 MB of the file, which only
  // stack traces read). Today ~1.06 MB, of which re2js (linear-time digit patterns) is 265 KB.
  const sourceMap = code.indexOf('//# sourceMappingURL=');
  const executable = sourceMap === -1 ? code : code.slice(0, sourceMap);
  expect(executable.length).toBeLessThan(1_400_000);
});
