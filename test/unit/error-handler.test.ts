/**
 * The central error handler's answers for failures that are not the client's: a dependency away or a
 * Temporal namespace moving between clusters is a 503 with Retry-After, anything else a 500.
 */
import Fastify from 'fastify';
import errorHandler from '../../gateway/plugins/error-handler';

/** As @temporalio/client raises them: a ServiceError saying what failed, over the server's gRPC error. */
function serviceError(code: number, answer: string): Error {
  const grpc = Object.assign(new Error(`${code} ${answer}`), { code, details: answer.replace(/^\w+: /, '') });
  const err = new Error('Failed to query Workflow', { cause: grpc });
  err.name = 'ServiceError';
  return err;
}

async function answer(err: Error) {
  const app = Fastify();
  await app.register(errorHandler);
  app.get('/x', async () => {
    throw err;
  });
  const res = await app.inject({ method: 'GET', url: '/x' });
  await app.close();
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() };
}

test('a namespace active on the other cluster (a failover under way) is 503, try again in a second', async () => {
  const notActive = serviceError(
    9,
    'FAILED_PRECONDITION: Namespace: cticloud is active in cluster: cluster-b, while current cluster cluster-a is a standby cluster.',
  );
  expect(await answer(notActive)).toEqual({
    status: 503,
    retryAfter: '1',
    body: expect.objectContaining({ error: 'Service Unavailable' }),
  });
  // Seen by the two-cluster test: a query on the new cluster before the workers' polls reach it.
  const noPoller = serviceError(
    9,
    'FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down',
  );
  expect((await answer(noPoller)).status).toBe(503);
  expect((await answer(serviceError(14, 'UNAVAILABLE: connection refused'))).status).toBe(503);
  // The server's WorkflowNotReady: a query while the workflow's task is being retried, as on the new
  // cluster right after a forced failover (a CI run of the two-cluster test answered 500 for it).
  const notReady = serviceError(
    9,
    'FAILED_PRECONDITION: Unable to query workflow due to Workflow Task in failed state.',
  );
  expect((await answer(notReady)).status).toBe(503);
  const notScheduled = serviceError(9, 'FAILED_PRECONDITION: Workflow task is not scheduled yet.');
  expect((await answer(notScheduled)).status).toBe(503);
});

test('another failed precondition, or a plain bug, stays a 500 without Retry-After', async () => {
  const other = await answer(serviceError(9, 'FAILED_PRECONDITION: workflow is not running'));
  expect(other).toMatchObject({ status: 500, retryAfter: undefined });
  expect((await answer(new TypeError('x is undefined'))).status).toBe(500);
});
