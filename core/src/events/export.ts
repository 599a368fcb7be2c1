/**
 * Saving decoded records (issue #11): JSON Lines (one `{"map","cpu","time","fields"}` object a
 * line, values exactly as decoded) or CSV (RFC 4180: a header of the columns, fields holding a
 * comma, quote, CR or LF quoted with inner quotes doubled, nested values as compact JSON).
 */
import { compactValue, DecodedRecord } from './record';

export interface SavedRecord extends DecodedRecord {
  /** Arrival time, ISO 8601, when the consumer recorded it. */
  time?: string;
}

export function toJsonLines(records: readonly SavedRecord[]): string {
  let text = '';
  for (const record of records) {
    const { map, cpu, time, fields, raw } = record;
    text += JSON.stringify({ map, cpu, ...(time ? { time } : {}), fields, ...(raw ? { raw } : {}) }) + '\n';
  }
  return text;
}

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One CSV table; `columns` are the record fields in order (a map's layout columns), and any
 * field a record has beyond them is appended so nothing is lost when maps are mixed.
 */
export function toCsv(records: readonly SavedRecord[], columns: readonly string[] = []): string {
  const names = [...columns];
  const known = new Set(names);
  for (const record of records) {
    for (const name of Object.keys(record.fields)) if (!known.has(name)) { known.add(name); names.push(name); }
  }
  const withRaw = records.some((record) => record.raw !== undefined);
  const header = ['time', 'map', 'cpu', ...names, ...(withRaw ? ['raw'] : [])];
  const lines = [header.map(csvField).join(',')];
  for (const record of records) {
    const cells = [record.time ?? '', record.map, String(record.cpu), ...names.map((name) => compactValue(record.fields[name])), ...(withRaw ? [record.raw ?? ''] : [])];
    lines.push(cells.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
