import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { endCallsOn } from '../../workers/lost-nodes';

/** A namespace's running calls, as visibility lists them; signals recorded, one call already gone. */
function fakeClient(ids: string[], gone: string[] = []) {
  const signalled: { id: string; name: string; by: string }[] = [];
  const client = {
    workflow: {
      async *list({ query }: { query: string }) {
        expect(query).toContain("ExecutionStatus = 'Running'");
        for (const workflowId of ids) yield { workflowId };
      },
      getHandle: (id: string) => ({
        async signal(def: { name: string }, arg: { by: string }) {
          if (gone.includes(id)) throw new WorkflowNotFoundError('gone', id, undefined);
          signalled.push({ id, name: def.name, by: arg.by });
        },
      }),
    },
  };
  return { client: client as unknown as Client, signalled };
}

test("ends the lost node's calls only, as an end-call request, skipping one that finished meanwhile", async () => {
  const { client, signalled } = fakeClient(
    [
      'call-site-a-1796670087.12',
      'call-site-a-1796670087.13',
      'call-site-b-1796670087.14',
      'call-site-a-east-1796670087.15',
      'callback-93cf47c8',
    ],
    ['call-site-a-1796670087.13'],
  );
  await expect(endCallsOn(client, 'site-a', ['site-a-east', 'site-b'])).resolves.toBe(1);
  expect(signalled).toEqual([
    { id: 'call-site-a-1796670087.12', name: 'endCall', by: 'node site-a declared lost' },
  ]);
});
