import { numberList } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';

test('a default tenant number list names single numbers and ranges, keeping widths and the + sign', () => {
  expect(numberList('1000-1003,5551234')).toEqual(['1000', '1001', '1002', '1003', '5551234']);
  expect(numberList('0098-0101')).toEqual(['0098', '0099', '0100', '0101']);
  expect(numberList('+15550000-+15550001')).toEqual(['+15550000', '+15550001']);
  expect(numberList('1-100000')).toHaveLength(1000);
  expect(numberList('')).toEqual([]);
});

test('a malformed list stops the start, naming the setting', () => {
  process.env.DEFAULT_TENANT_NUMBERS = '1000-10x9';
  try {
    expect(() => loadConfig()).toThrow(/DEFAULT_TENANT_NUMBERS/);
  } finally {
    delete process.env.DEFAULT_TENANT_NUMBERS;
  }
});
