import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { loadWorkflowBundle } from '../../workers/workflow-bundle';
import * as workflows from '../../workflows';

/**
 * Histories recorded from the release before the current one (test/histories/<release>/, see its README)
 * replay against today's workflow code: a change that would break a workflow running in production fails
 * here, not at a deploy. Each `patched()` old branch runs in these replays.
 */
const ROOT = path.resolve(__dirname, '..', 'histories');

async function recorded(): Promise<{ file: string; workflowId: string; history: unknown }[]> {
  const out = [];
  for (const release of await readdir(ROOT, { withFileTypes: true })) {
    if (!release.isDirectory()) continue;
    for (const file of (await readdir(path.join(ROOT, release.name))).filter((f) => f.endsWith('.json'))) {
      const saved = JSON.parse(await readFile(path.join(ROOT, release.name, file), 'utf8'));
      out.push({ file: `${release.name}/${file}`, ...saved });
    }
  }
  return out;
}

test('every workflow type has recorded histories from the previous release', async () => {
  const types = new Set((await recorded()).map((r) => r.file.split('/')[1]!.replace(/-\d+\.json$/, '')));
  // Every workflow the worker registers, so a new type cannot go unrecorded.
  expect([...types].sort()).toEqual(Object.keys(workflows).sort());
});

test('histories recorded from the previous release replay against this code', async () => {
  const saved = await recorded();
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await loadWorkflowBundle(), replayName: 'previous-release' },
    saved.map((s) => ({
      workflowId: s.workflowId,
      history: temporal.api.history.v1.History.fromObject(s.history as object),
    })),
  )) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(saved.length);
  // Five releases' histories (about 300, some of megabytes) took over two minutes in a full run on 2 cores.
}, 600_000);
