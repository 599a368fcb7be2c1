/**
 * A decoded record as every consumer sees it (issue #11 contract: `fields` from decode.ts, `{}`
 * with the bytes in `raw` when the map's type is unknown), plus how one value reads in a cell.
 */
import type { DecodedValue } from './decode';

export type { DecodedValue } from './decode';

export interface DecodedRecord {
  map: string;
  /** -1 when the map does not say (ring buffers). */
  cpu: number;
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
