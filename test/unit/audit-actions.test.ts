import { changedFields, masked, MAX_VALUE_CHARS } from '../../lib/audit/actions';

test('only the fields that changed, the version and timestamps aside', () => {
  expect(
    changedFields(
      { id: 'q', name: 'Sales', wrapUpSec: 5, version: 1, updatedAt: 'a', skills: ['fr'] },
      { id: 'q', name: 'Sales EU', wrapUpSec: 5, version: 2, updatedAt: 'b', skills: ['fr', 'de'] },
    ),
  ).toEqual({
    name: { before: 'Sales', after: 'Sales EU' },
    skills: { before: ['fr'], after: ['fr', 'de'] },
  });
  expect(changedFields(undefined, { id: 'q', name: 'New' })).toEqual({
    id: { after: 'q' },
    name: { after: 'New' },
  });
  expect(changedFields({ id: 'q' }, undefined)).toEqual({ id: { before: 'q' } });
});

test('secrets are masked at any depth, and a secret field changed says only that it changed', () => {
  expect(
    masked({ url: 'u', secret: 's', auth: { password: 'p', user: 'x' }, list: [{ token: 't' }] }),
  ).toEqual({
    url: 'u',
    secret: '***',
    auth: { password: '***', user: 'x' },
    list: [{ token: '***' }],
  });
  expect(changedFields({ secret: 'old' }, { secret: 'new' })).toEqual({
    secret: { before: '***', after: '***' },
  });
  // A field merely ending in "Id" or "Key"-like words other than secrets is kept.
  expect(masked({ queueId: 'q', keyPrefix: 'cti_ab' })).toEqual({ queueId: 'q', keyPrefix: 'cti_ab' });
});

test('a value too large for the log is recorded by its size', () => {
  const big = { nodes: Array.from({ length: 2000 }, (_, i) => ({ id: `n${i}`, type: 'play' })) };
  const changes = changedFields({ definition: big }, { definition: { nodes: [] } });
  expect(changes.definition!.before).toEqual({ omitted: 'too large', chars: JSON.stringify(big).length });
  expect(JSON.stringify(big).length).toBeGreaterThan(MAX_VALUE_CHARS);
  expect(changes.definition!.after).toEqual({ nodes: [] });
});
