import { loadWorkflowBundle } from '../../workers/workflow-bundle';

test('the workflow bundle carries no schema library: every call pays for what the sandbox loads', async () => {
  const { code } = await loadWorkflowBundle();
  // zod in the bundle once made the answer hop 8x slower (docs/benchmarks.md); parameters are normalized
  // before a call starts instead.
  expect(code).not.toMatch(/node_modules\/zod\//);
  expect(code).toMatch(/FlowCallWorkflow/);
  expect(code.length).toBeLessThan(3_000_000);
});
