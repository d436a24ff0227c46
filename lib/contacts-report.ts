/**
 * The bounds and the report of a contacts import (lib/contacts-import.ts). Plain data with no Node imports,
 * so the web UI shows the report with the type the API answers with.
 */

/** Bounds of an import. bench/contacts-import.ts measured batches of 500 to 5000 rows within its noise. */
export const IMPORT_LIMITS = {
  /** Contacts written per statement. @default 2000 */
  batchRows: 2000,
  /** Bad rows listed in the report; the rest are only counted. @default 1000 */
  maxErrors: 1000,
  /** Custom fields per contact (CSV columns besides phone and time_zone). @default 50 */
  maxFields: 50,
  /** A field's name: a flow variable name. @default 64 */
  maxFieldName: 64,
  /** A field's value, as flow variables' initial values. @default 2000 */
  maxValueLength: 2000,
  /**
   * A CSV record: above any valid row (50 fields of 2000 characters), so only a broken file (an unclosed
   * quote) reaches it, which bounds what such a file makes the parser buffer. @default 131072
   */
  maxRecordBytes: 128 * 1024,
  /** Contacts in one JSON body, which arrives parsed: bigger lists go as CSV, which is streamed. @default 50000 */
  maxJsonRows: 50_000,
} as const;

/** What an upload did: every input row is counted once, in accepted or rejected. */
export interface ImportReport {
  /** Data rows read (the CSV header excluded). */
  total: number;
  /** Rows kept: new contacts plus merged ones. */
  accepted: number;
  /** Contacts added by this upload. */
  created: number;
  /** Accepted rows whose number was already in the campaign (earlier in the file or uploaded before). */
  merged: number;
  rejected: number;
  /** Accepted rows whose number is on the tenant's do-not-call list now; they are skipped when dialed. */
  dnc: number;
  /**
   * False when reading stopped at a record that could not be delimited (an unclosed quote, a record over
   * {@link IMPORT_LIMITS.maxRecordBytes}): the rows after it were not read; fix the file and upload it again.
   */
  complete: boolean;
  /** The first {@link IMPORT_LIMITS.maxErrors} bad rows: CSV line (1 = header) or JSON item (1 = first). */
  errors: { line: number; reason: string }[];
}
