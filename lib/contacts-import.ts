import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError, type Info } from 'csv-parse';
import type { Pool } from 'pg';
import { IMPORT_LIMITS, type ImportReport } from './contacts-report';
import { isTimeZone, normalizePhone, timeZoneFor } from './phone';

export { IMPORT_LIMITS, type ImportReport } from './contacts-report';

export interface ImportOptions {
  /** ISO 3166 alpha-2 for numbers written without a country code. @default none: they are rejected */
  defaultCountry?: string;
  /** @default IMPORT_LIMITS.batchRows */
  batchRows?: number;
}

/** The upload as a whole is unusable (no phone column, a bad column name): nothing was imported. */
export class ContactsFormatError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ContactsFormatError';
  }
}

interface Contact {
  phone: string;
  timeZone: string;
  /** The row named the zone; else it was derived from the number and does not replace a stored one. */
  timeZoneGiven: boolean;
  fields: Record<string, string>;
  line: number;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const fieldNameProblem = (name: string): string | undefined => {
  if (name.length > IMPORT_LIMITS.maxFieldName) return `field name ${name.slice(0, 20)}… is too long`;
  if (!FIELD_NAME.test(name))
    return `field name ${JSON.stringify(name)} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)`;
  return undefined;
};

/**
 * One statement per batch: ON CONFLICT finds an existing contact through the unique index, whatever the
 * planner's statistics say about a campaign still being loaded. A merge adds fields (later values win),
 * takes a given zone over the stored one and leaves state and attempts alone; `xmax = 0` tells an inserted
 * row from a merged one. The do-not-call count probes the list's primary key with the batch's numbers.
 */
const WRITE_BATCH = `
with written as (
  insert into campaign_contacts (campaign_id, phone, time_zone, time_zone_given, fields, line)
  select $1, * from unnest($2::text[], $3::text[], $4::boolean[], $5::jsonb[], $6::int[])
  on conflict (campaign_id, phone) do update
    set fields = campaign_contacts.fields || excluded.fields,
        time_zone = case when excluded.time_zone_given then excluded.time_zone else campaign_contacts.time_zone end,
        time_zone_given = campaign_contacts.time_zone_given or excluded.time_zone_given,
        updated_at = now()
  returning xmax = 0 as created
)
select (select count(*) from written where created)::int as created,
       (select count(*) from dnc_numbers where tenant_id = $7 and phone = any($2::text[]))::int as dnc`;

/**
 * Validates rows, merges duplicates within a batch and writes batches with at most one in flight: the
 * parser reads the next batch while PostgreSQL writes the last one, and waits when both are busy, so
 * memory holds two batches whatever the size of the upload.
 */
class ContactWriter {
  readonly report: ImportReport = {
    total: 0,
    accepted: 0,
    created: 0,
    merged: 0,
    rejected: 0,
    dnc: 0,
    complete: true,
    errors: [],
  };
  private batch = new Map<string, Contact>();
  private inFlight: Promise<void> = Promise.resolve();
  private readonly batchRows: number;

  constructor(
    private readonly db: Pool,
    private readonly campaignId: string,
    private readonly tenantId: string,
    private readonly options: ImportOptions,
  ) {
    this.batchRows = options.batchRows ?? IMPORT_LIMITS.batchRows;
  }

  reject(line: number, reason: string): void {
    this.report.total++;
    this.report.rejected++;
    if (this.report.errors.length < IMPORT_LIMITS.maxErrors) this.report.errors.push({ line, reason });
  }

  /** Adds a row; the promise, when there is one, must be awaited before the next row (backpressure). */
  add(
    line: number,
    phone: string,
    timeZone: string,
    fields: Record<string, string>,
  ): Promise<void> | undefined {
    const number = normalizePhone(phone, this.options.defaultCountry);
    if (!number.ok) {
      this.reject(line, number.reason);
      return undefined;
    }
    const zone = timeZone.trim();
    if (zone && !isTimeZone(zone)) {
      this.reject(line, `time_zone ${JSON.stringify(zone)} is not an IANA zone`);
      return undefined;
    }
    this.report.total++;
    this.report.accepted++;
    const earlier = this.batch.get(number.e164);
    if (earlier) {
      // The later row wins field by field, as a later upload does; the contact keeps its first line.
      this.report.merged++;
      Object.assign(earlier.fields, fields);
      if (zone) Object.assign(earlier, { timeZone: zone, timeZoneGiven: true });
      return undefined;
    }
    this.batch.set(number.e164, {
      phone: number.e164,
      timeZone: zone || timeZoneFor(number.e164, number.country),
      timeZoneGiven: zone !== '',
      fields,
      line,
    });
    return this.batch.size >= this.batchRows ? this.flush() : undefined;
  }

  /** Waits for the batch in flight, then starts this one without waiting for it. */
  async flush(): Promise<void> {
    await this.inFlight;
    const contacts = [...this.batch.values()];
    this.batch = new Map();
    if (contacts.length === 0) return;
    this.inFlight = this.write(contacts);
    // Awaited by the next flush or by finish(); until then a failure must not count as unhandled.
    this.inFlight.catch(() => undefined);
  }

  async finish(): Promise<ImportReport> {
    await this.flush();
    await this.inFlight;
    return this.report;
  }

  /** Resolves when no statement is running, whatever its outcome: then the connection may be released. */
  settled(): Promise<void> {
    return this.inFlight.catch(() => undefined);
  }

  private async write(contacts: Contact[]): Promise<void> {
    const { rows } = await this.db.query<{ created: number; dnc: number }>(WRITE_BATCH, [
      this.campaignId,
      contacts.map((c) => c.phone),
      contacts.map((c) => c.timeZone),
      contacts.map((c) => c.timeZoneGiven),
      contacts.map((c) => JSON.stringify(c.fields)),
      contacts.map((c) => c.line),
      this.tenantId,
    ]);
    this.report.created += rows[0]!.created;
    this.report.merged += contacts.length - rows[0]!.created;
    this.report.dnc += rows[0]!.dnc;
  }
}

async function withWriter(
  pool: Pool,
  campaignId: string,
  options: ImportOptions,
  fill: (writer: ContactWriter) => Promise<void>,
): Promise<ImportReport> {
  // Each batch is one statement on a connection taken for it alone: no connection waits on the client
  // while the upload trickles in (ten slow uploads used to take the whole pool). Each batch commits on its
  // own, so what was written before a failure stays, and uploading the file again merges it.
  const { rows } = await pool.query<{ tenant_id: string }>('select tenant_id from campaigns where id = $1', [
    campaignId,
  ]);
  if (!rows[0]) throw new Error(`campaign ${campaignId} not found`);
  const writer = new ContactWriter(pool, campaignId, rows[0].tenant_id, options);
  try {
    await fill(writer);
    return await writer.finish();
  } finally {
    await writer.settled();
  }
}

interface CsvHeader {
  width: number;
  phone: number;
  timeZone: number;
  fields: { index: number; name: string }[];
}

function readHeader(record: string[]): CsvHeader {
  const names = record.map((name) => name.trim());
  const lower = names.map((name) => name.toLowerCase());
  const phone = lower.indexOf('phone');
  if (phone < 0)
    throw new ContactsFormatError('header', 'the first line must name the columns, one of them phone');
  const timeZone = lower.indexOf('time_zone');
  const fields = names.flatMap((name, index) =>
    index === phone || index === timeZone ? [] : [{ index, name }],
  );
  if (fields.length > IMPORT_LIMITS.maxFields) {
    throw new ContactsFormatError(
      'header',
      `at most ${IMPORT_LIMITS.maxFields} columns besides phone and time_zone`,
    );
  }
  const seen = new Set<string>();
  for (const { name } of fields) {
    const problem = fieldNameProblem(name);
    if (problem) throw new ContactsFormatError('header', problem);
    if (seen.has(name) || name.toLowerCase() === 'phone' || name.toLowerCase() === 'time_zone') {
      throw new ContactsFormatError('header', `column ${name} appears twice`);
    }
    seen.add(name);
  }
  return { width: names.length, phone, timeZone, fields };
}

/** The line a record starts on: csv-parse tells where it ends, and quoted fields may hold line breaks. */
function startLine(record: string[], info: Info): number {
  let breaks = 0;
  for (const value of record)
    for (let at = value.indexOf('\n'); at >= 0; at = value.indexOf('\n', at + 1)) breaks++;
  return info.lines - breaks;
}

/**
 * Streams a CSV upload into a campaign's contacts. The first line names the columns: `phone` (required),
 * `time_zone` (optional, IANA; derived from the number when absent or empty), and any others, which become
 * the contact's fields (flow variables; empty cells are left out, so they do not blank an earlier value).
 *
 * @throws ContactsFormatError when the header is unusable; bad rows are reported, not thrown.
 */
export async function importContactsCsv(
  pool: Pool,
  campaignId: string,
  input: Readable,
  options: ImportOptions = {},
): Promise<ImportReport> {
  return withWriter(pool, campaignId, options, async (writer) => {
    const parser = parse({
      bom: true,
      trim: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: IMPORT_LIMITS.maxRecordBytes,
      // A misplaced quote loses that record, reported with its line. An unclosed one swallows what follows
      // until the record limit or the end of the file, where csv-parse stops: the report says so.
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        const lines = (err as { lines?: number } | undefined)?.lines ?? 0;
        const stops = err?.code === 'CSV_MAX_RECORD_SIZE' || err?.code === 'CSV_QUOTE_NOT_CLOSED';
        if (stops) writer.report.complete = false;
        const rest = stops ? '; nothing after it was read (an unclosed quote?)' : '';
        writer.reject(lines, `CSV: ${err?.message ?? 'unreadable record'}${rest}`);
        return undefined;
      },
    });
    let header: CsvHeader | undefined;
    await pipeline(input, parser, async (records: AsyncIterable<{ record: string[]; info: Info }>) => {
      for await (const { record, info } of records) {
        if (!header) {
          header = readHeader(record);
          continue;
        }
        const line = startLine(record, info);
        if (record.length !== header.width) {
          writer.reject(line, `expected ${header.width} columns, found ${record.length}`);
          continue;
        }
        const fields: Record<string, string> = {};
        let tooLong: string | undefined;
        for (const { index, name } of header.fields) {
          const value = record[index]!;
          if (value === '') continue;
          if (value.length > IMPORT_LIMITS.maxValueLength) tooLong = name;
          fields[name] = value;
        }
        if (tooLong) {
          writer.reject(line, `${tooLong} is longer than ${IMPORT_LIMITS.maxValueLength} characters`);
          continue;
        }
        const timeZone = header.timeZone >= 0 ? record[header.timeZone]! : '';
        const pending = writer.add(line, record[header.phone]!, timeZone, fields);
        if (pending) await pending;
      }
    });
    if (!header)
      throw new ContactsFormatError('body', 'the CSV is empty: its first line must name the columns');
  });
}

/** One JSON contact's fields as strings, or why not. */
function jsonFields(item: Record<string, unknown>): Record<string, string> | string {
  const fields: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(item)) {
    if (name === 'phone' || name === 'time_zone' || value === null || value === undefined) continue;
    const problem = fieldNameProblem(name);
    if (problem) return problem;
    if (++count > IMPORT_LIMITS.maxFields) return `more than ${IMPORT_LIMITS.maxFields} fields`;
    if (typeof value === 'object') return `${name} must be text, a number or true/false`;
    const text = String(value);
    if (text.length > IMPORT_LIMITS.maxValueLength) {
      return `${name} is longer than ${IMPORT_LIMITS.maxValueLength} characters`;
    }
    fields[name] = text;
  }
  return fields;
}

/**
 * Imports a JSON body, `[{ phone, time_zone?, ...fields }]`, as {@link importContactsCsv} does a CSV; a
 * report line is the item's position (1 = first). Capped at {@link IMPORT_LIMITS.maxJsonRows}.
 */
export async function importContactsJson(
  pool: Pool,
  campaignId: string,
  items: readonly unknown[],
  options: ImportOptions = {},
): Promise<ImportReport> {
  if (items.length > IMPORT_LIMITS.maxJsonRows) {
    throw new ContactsFormatError(
      'body',
      `at most ${IMPORT_LIMITS.maxJsonRows} contacts in a JSON body; upload bigger lists as CSV`,
    );
  }
  return withWriter(pool, campaignId, options, async (writer) => {
    for (const [index, item] of items.entries()) {
      const line = index + 1;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        writer.reject(line, 'a contact is an object with a phone');
        continue;
      }
      const { phone, time_zone: timeZone } = item as Record<string, unknown>;
      if (typeof phone !== 'string' && typeof phone !== 'number') {
        writer.reject(line, 'phone is missing');
        continue;
      }
      if (timeZone !== undefined && timeZone !== null && typeof timeZone !== 'string') {
        writer.reject(line, 'time_zone must be text');
        continue;
      }
      const fields = jsonFields(item as Record<string, unknown>);
      if (typeof fields === 'string') {
        writer.reject(line, fields);
        continue;
      }
      const pending = writer.add(line, String(phone), timeZone ?? '', fields);
      if (pending) await pending;
    }
  });
}
