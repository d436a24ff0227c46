import { pickVersion, Rollout, rolloutBucket } from '../../domain/flow/rollout';

const ids = Array.from({ length: 20_000 }, (_, i) => `call-ast1-${1732540000 + i}.${i % 97}`);

test('a 5 % canary gets about 5 % of calls', () => {
  const canary = ids.filter((id) => pickVersion({ stable: 1, canary: { version: 2, percent: 5 } }, id) === 2);
  expect(canary.length / ids.length).toBeGreaterThan(0.04);
  expect(canary.length / ids.length).toBeLessThan(0.06);
});

test('one call always gets the same version, and raising the share only adds calls to the canary', () => {
  const at5 = new Set(
    ids.filter((id) => pickVersion({ stable: 1, canary: { version: 2, percent: 5 } }, id) === 2),
  );
  const at25 = new Set(
    ids.filter((id) => pickVersion({ stable: 1, canary: { version: 2, percent: 25 } }, id) === 2),
  );
  expect([...at5].every((id) => at25.has(id))).toBe(true);
  expect(pickVersion({ stable: 1, canary: { version: 2, percent: 50 } }, ids[7]!)).toBe(
    pickVersion({ stable: 1, canary: { version: 2, percent: 50 } }, ids[7]!),
  );
  expect(rolloutBucket('x')).toBe(rolloutBucket('x'));
});

test('no canary, or 100 %: everyone on one version', () => {
  expect(new Set(ids.map((id) => pickVersion({ stable: 3 }, id)))).toEqual(new Set([3]));
  expect(
    new Set(ids.map((id) => pickVersion({ stable: 3, canary: { version: 4, percent: 100 } }, id))),
  ).toEqual(new Set([4]));
});

test('the canary must differ from stable, and shares stay within 0.01..100', () => {
  expect(Rollout.safeParse({ stable: 2, canary: { version: 2, percent: 5 } }).error?.issues[0]?.path).toEqual(
    ['canary', 'version'],
  );
  expect(Rollout.safeParse({ stable: 2, canary: { version: 3, percent: 120 } }).success).toBe(false);
});

test('customer segments: callers of a segment always take the canary, whatever the share', () => {
  const rollout = { stable: 1, canary: { version: 2, percent: 0, callers: ['+3314', '555010'] } };
  expect(pickVersion(rollout, 'call-a', '+33142000000')).toBe(2);
  expect(pickVersion(rollout, 'call-b', '5550101')).toBe(2);
  expect(pickVersion(rollout, 'call-c', '+15550101')).toBe(1);
  expect(ids.filter((id) => pickVersion(rollout, id, '5551234') === 2)).toEqual([]);
  // Both dimensions: the segment, and a share of everyone else.
  const both = { stable: 1, canary: { version: 2, percent: 10, callers: ['555010'] } };
  expect(ids.every((id) => pickVersion(both, id, '5550109') === 2)).toBe(true);
  const share = ids.filter((id) => pickVersion(both, id, '5551234') === 2).length / ids.length;
  expect(share).toBeGreaterThan(0.07);
  expect(share).toBeLessThan(0.13);
  expect(Rollout.safeParse({ stable: 1, canary: { version: 2, percent: 0 } }).error?.issues[0]?.message).toBe(
    'a canary needs a share of calls or caller segments',
  );
});
