import { isCountry, isTimeZone, normalizePhone, timeZoneFor } from '../../lib/phone';

describe('normalizePhone', () => {
  test.each([
    ['+1 (212) 555-0123', undefined, '+12125550123'],
    ['tel:+1-212-555-0123', undefined, '+12125550123'],
    ['(312) 555-0123', 'US', '+13125550123'],
    ['312.555.0123', 'us', '+13125550123'],
    ['0044 20 7946 0958', undefined, '+442079460958'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+33 1 23 45 67 89', 'US', '+33123456789'],
    ['+49 30 901820', undefined, '+4930901820'],
  ])('%s (default country %s) is %s', (raw, country, e164) => {
    expect(normalizePhone(raw, country)).toMatchObject({ ok: true, e164 });
  });

  test.each([
    ['', /empty/],
    ['   ', /empty/],
    ['call me', /characters other than digits/],
    ['212 555 0123 x45', /characters other than digits/],
    ['2125550123', /no country code/],
    ['+1 555', /not a valid number/],
    ['+1 212 555 01234567', /not a valid number/],
    ['+'.padEnd(50, '1'), /too long/],
  ])('%j is refused', (raw, reason) => {
    const result = normalizePhone(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  test('an unknown default country is refused, not ignored', () => {
    expect(normalizePhone('2125550123', 'ZZ')).toMatchObject({ ok: false, reason: 'unknown country ZZ' });
    expect(isCountry('us')).toBe(true);
    expect(isCountry('ZZ')).toBe(false);
  });

  test("the result carries the number's country, so the zone needs no second parse", () => {
    expect(normalizePhone('+1 604 555 0199')).toMatchObject({ ok: true, country: 'CA' });
    expect(normalizePhone('+1 876 555 0199')).toMatchObject({ ok: true, country: 'JM' });
  });
});

describe('timeZoneFor', () => {
  test.each([
    ['+12125550123', 'America/New_York'],
    ['+13125550123', 'America/Chicago'],
    ['+17135550123', 'America/Chicago'],
    ['+13035550123', 'America/Denver'],
    ['+16025550123', 'America/Phoenix'],
    ['+14155550123', 'America/Los_Angeles'],
    ['+19075550123', 'America/Anchorage'],
    ['+18085550123', 'Pacific/Honolulu'],
    ['+16045550199', 'America/Vancouver'],
    ['+14165550199', 'America/Toronto'],
    ['+13065550199', 'America/Regina'],
    ['+18765550199', 'America/Jamaica'],
    ['+442079460958', 'Europe/London'],
    ['+33123456789', 'Europe/Paris'],
    ['+61293744000', 'Australia/Sydney'],
    ['+5511987654321', 'America/Sao_Paulo'],
    ['+74951234567', 'Europe/Moscow'],
  ])('%s is in %s', (e164, zone) => {
    expect(timeZoneFor(e164)).toBe(zone);
  });

  test('a US area code not in the table is Eastern; a number of no country is UTC', () => {
    // 999 is no area code: the default zone, not an error.
    expect(timeZoneFor('+19995550123', 'US')).toBe('America/New_York');
    expect(timeZoneFor('+80012345678')).toBe('UTC');
  });

  test('every zone it can return is one the runtime knows', () => {
    const samples = ['+12125550123', '+13125550123', '+16045550199', '+81312345678', '+8613800138000'];
    for (const e164 of samples) expect(isTimeZone(timeZoneFor(e164))).toBe(true);
  });
});

describe('isTimeZone', () => {
  test.each([
    ['Europe/Paris', true],
    ['America/Argentina/Buenos_Aires', true],
    ['Asia/Calcutta', true],
    ['UTC', true],
    ['Mars/Olympus_Mons', false],
    ['+05:00', false],
    ['', false],
  ])('%j → %s', (zone, valid) => {
    expect(isTimeZone(zone)).toBe(valid);
  });
});
