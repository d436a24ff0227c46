import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * Phone numbers as campaigns and the do-not-call list store them: E.164, validated against each country's
 * numbering plan (libphonenumber's full metadata, so a number of the right length in an unassigned range is
 * refused too), and the time zone a contact is assumed to be in when the upload does not say.
 */

export type PhoneResult =
  | {
      ok: true;
      /** `+` and digits, e.g. `+12125550123`. */
      e164: string;
      /** ISO 3166 alpha-2 of the number's country, when its numbering plan tells (`+1` → US, CA, JM, …). */
      country?: string;
    }
  | { ok: false; reason: string };

/** Longer than any number plus formatting: nothing is parsed from a cell holding a paragraph. */
const MAX_RAW_LENGTH = 40;

/** An ISO 3166 alpha-2 code libphonenumber has a numbering plan for. */
export const isCountry = (code: string): boolean => isSupportedCountry(code.toUpperCase());

/**
 * Validates a number and returns it in E.164.
 *
 * @param raw As typed: `+1 (212) 555-0123`, `0044 20 7946 0958`, or national (`(212) 555-0123`) with
 *   `defaultCountry`. A leading `00` is read as `+` when no default country says otherwise.
 * @param defaultCountry ISO 3166 alpha-2 for numbers written without their country code. @default none:
 *   such numbers are refused
 */
export function normalizePhone(raw: string, defaultCountry?: string): PhoneResult {
  const text = raw.trim().replace(/^tel:/i, '');
  if (text === '') return { ok: false, reason: 'phone is empty' };
  if (text.length > MAX_RAW_LENGTH) return { ok: false, reason: 'phone is too long' };
  if (/[^0-9+().\-\s/]/.test(text)) {
    return {
      ok: false,
      reason: `phone ${JSON.stringify(text)} has characters other than digits and + ( ) - .`,
    };
  }
  const country = defaultCountry?.toUpperCase();
  if (country && !isSupportedCountry(country)) return { ok: false, reason: `unknown country ${country}` };
  const international = !country && text.startsWith('00') ? `+${text.slice(2)}` : text;
  if (!country && !international.startsWith('+')) {
    return { ok: false, reason: `phone ${text} has no country code: write it as +<country code><number>` };
  }
  const parsed = parsePhoneNumberFromString(international, country as CountryCode | undefined);
  if (!parsed) return { ok: false, reason: `phone ${text} is not a phone number` };
  if (!parsed.isValid()) return { ok: false, reason: `phone ${text} is not a valid number for its country` };
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/**
 * Where one zone is taken for a country that has several: its capital's or most populous region's. Countries
 * with one zone need no entry (the ICU data Node ships lists each region's zones).
 */
const COUNTRY_ZONE: Record<string, string> = {
  AR: 'America/Argentina/Buenos_Aires',
  AU: 'Australia/Sydney',
  BR: 'America/Sao_Paulo',
  CD: 'Africa/Kinshasa',
  CL: 'America/Santiago',
  CN: 'Asia/Shanghai',
  DE: 'Europe/Berlin',
  EC: 'America/Guayaquil',
  ES: 'Europe/Madrid',
  FM: 'Pacific/Pohnpei',
  GL: 'America/Nuuk',
  ID: 'Asia/Jakarta',
  IN: 'Asia/Kolkata',
  KI: 'Pacific/Tarawa',
  KZ: 'Asia/Almaty',
  MH: 'Pacific/Majuro',
  MN: 'Asia/Ulaanbaatar',
  MX: 'America/Mexico_City',
  MY: 'Asia/Kuala_Lumpur',
  NZ: 'Pacific/Auckland',
  PF: 'Pacific/Tahiti',
  PG: 'Pacific/Port_Moresby',
  PT: 'Europe/Lisbon',
  RU: 'Europe/Moscow',
  UA: 'Europe/Kyiv',
  UZ: 'Asia/Tashkent',
  CA: 'America/Toronto',
  US: 'America/New_York',
};

/**
 * North American area codes outside US Eastern time, by zone. Eastern (the default) needs no list. An area
 * code that straddles a zone line is put where most of its subscribers are.
 */
const NANP_ZONES: Record<string, string> = {
  'America/Chicago':
    '205 251 256 334 659 938 327 479 501 870 217 224 309 312 331 447 464 618 630 708 773 779 815 847 872 ' +
    '319 515 563 641 712 316 620 785 913 225 318 337 504 985 218 320 507 612 651 763 952 228 601 662 769 ' +
    '235 314 417 557 573 636 660 816 308 402 531 701 405 539 572 580 918 605 210 214 254 281 325 346 361 ' +
    '409 430 432 469 512 682 713 726 737 806 817 830 832 903 936 940 945 956 972 979 262 274 353 414 534 ' +
    '608 715 920 615 629 731 901 931 270 364 219',
  'America/Denver': '303 719 720 970 983 406 505 575 385 435 801 307 208 986 915',
  'America/Phoenix': '480 520 602 623 928',
  'America/Los_Angeles':
    '209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 ' +
    '738 747 760 805 818 820 831 837 840 858 909 916 925 949 951 702 725 775 458 503 541 971 206 253 360 ' +
    '425 509 564',
  'America/Anchorage': '907',
  'Pacific/Honolulu': '808',
  // Canada: Ontario and Quebec are the default (America/Toronto) for CA numbers.
  'America/Winnipeg': '204 431 584',
  'America/Regina': '306 474 639',
  'America/Edmonton': '368 403 587 780 825 867',
  'America/Vancouver': '236 250 257 604 672 778',
  'America/Halifax': '428 506 782 902',
  'America/St_Johns': '709 879',
};
const AREA_CODE_ZONE = new Map(
  Object.entries(NANP_ZONES).flatMap(([zone, codes]) =>
    codes.split(' ').map((code) => [code, zone] as const),
  ),
);

/** Zones found per country, so ICU is asked once per country. */
const regionZone = new Map<string, string | undefined>();
function zoneOfRegion(country: string): string | undefined {
  if (regionZone.has(country)) return regionZone.get(country);
  // Intl.Locale#timeZones (V8, ICU data) lists a region's zones; newer V8 offers getTimeZones() instead.
  const locale = new Intl.Locale(`und-${country}`) as Intl.Locale & {
    timeZones?: string[];
    getTimeZones?: () => string[];
  };
  const zones = locale.getTimeZones?.() ?? locale.timeZones;
  const zone = zones?.[0];
  regionZone.set(country, zone);
  return zone;
}

/**
 * The IANA time zone a number's subscriber is assumed to be in, for calling windows when a contact comes
 * without one. Approximate by nature: a mobile number travels with its owner, and numbers can be ported.
 *
 * - US and Canada: by area code (table above); an area code not listed, or one split between zones, is
 *   Eastern. Areas that straddle a zone line (western Kansas, Nebraska, the Dakotas, the Florida panhandle,
 *   northern Idaho, north-western Ontario, Canada's territories) get the zone of most of their subscribers.
 * - Other countries with one zone: that zone. Countries with several: the capital's or most populous
 *   region's (e.g. Brazil → America/Sao_Paulo, Russia → Europe/Moscow, Australia → Australia/Sydney); for
 *   those not listed, the first zone ICU lists for the region.
 *
 * @param e164 A number as {@link normalizePhone} returns it.
 * @param country Its country, when the caller has it already (saves parsing again). @default parsed from e164
 * @returns An IANA zone name. @default 'UTC' for a number whose country is unknown (e.g. +800 freephone)
 */
export function timeZoneFor(e164: string, country?: string): string {
  const region = country ?? parsePhoneNumberFromString(e164)?.country;
  if (!region) return 'UTC';
  if (region === 'US' || region === 'CA') {
    return AREA_CODE_ZONE.get(e164.slice(2, 5)) ?? COUNTRY_ZONE[region]!;
  }
  return COUNTRY_ZONE[region] ?? zoneOfRegion(region) ?? 'UTC';
}

const zoneValidity = new Map<string, boolean>();

/**
 * Whether `zone` is an IANA time zone this runtime knows (links such as `Asia/Calcutta` included), as
 * `Intl.DateTimeFormat` decides; answers are cached since constructing a formatter costs tens of µs.
 */
export function isTimeZone(zone: string): boolean {
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      // Offsets such as `+05:00` are accepted by newer ICU but are no zone: calling windows need DST rules.
      valid = /^[A-Za-z]/.test(zone);
    } catch {
      valid = false;
    }
    // The cache is bounded: arbitrary text in a column must not grow it without end.
    if (zoneValidity.size < 10_000) zoneValidity.set(zone, valid);
  }
  return valid;
}
