/**
 * A decoded ring-buffer / perf-event record as every consumer sees it (issue #11 contract:
 * /work/notes/events-contract.md). `DecodedValue` mirrors the one `decode.ts` exports; when
 * that module lands, this file re-exports it instead of declaring it.
 */

/** 64-bit integers beyond 2^53 are decimal strings, so JSON round-trips them exactly. */
export type DecodedValue = number | string | boolean | null | DecodedValue[] | { [field: string]: DecodedValue };

export interface DecodedRecord {
  map: string;
  cpu: number;
  /** `{}` when no layout is known for the map; the bytes are then in `raw`. */
  fields: { [field: string]: DecodedValue };
  /** Hex of the record's bytes, only when it could not be decoded. */
  raw?: string;
}

/**
 * One cell's text: scalars as themselves, nested structs and arrays as compact JSON, which
 * stays readable in a table cell and parses back unchanged from a saved CSV.
 */
export function compactValue(value: DecodedValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
