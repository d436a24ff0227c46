import { bundleWorkflowCode } from '@temporalio/worker';
import workflowPackage from '@temporalio/workflow/package.json';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const WORKFLOWS_DIR = path.join(ROOT, 'workflows');
/** What the bundle is made of: the workflows and the domain code they import (the flow interpreter, hours…). */
const SOURCE_DIRS = [WORKFLOWS_DIR, path.join(ROOT, 'domain')];
const CACHE_DIR = path.join(
  process.env.CTICLOUD_CACHE ?? path.join(os.homedir(), '.cache', 'cticloud'),
  'bundles',
);

/**
 * Bundling the workflow code takes seconds; a restarted worker should pick calls up again at once. The
 * bundle is cached under the hash of the workflow sources and the SDK version.
 */
export async function loadWorkflowBundle(): Promise<{ code: string }> {
  const hash = createHash('sha256');
  hash.update(workflowPackage.version);
  // Workflow code imports only from workflows/ and domain/ (and the SDK, pinned by the lockfile); its
  // imports of activities/, lib/ and asterisk/ are types only, erased from the bundle.
  hash.update(await readFile(path.join(ROOT, 'package-lock.json')));
  for (const dir of SOURCE_DIRS) {
    for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort()) {
      hash.update(path.relative(ROOT, entry)).update(await readFile(entry));
    }
  }
  const cached = path.join(CACHE_DIR, `${hash.digest('hex').slice(0, 24)}.js`);
  try {
    return { code: await readFile(cached, 'utf8') };
  } catch {
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(WORKFLOWS_DIR, 'index.ts') });
    await mkdir(CACHE_DIR, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, cached);
    return { code };
  }
}
