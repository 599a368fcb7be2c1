/**
 * Turns the loader's batched `records` events into decoded records, with the layouts
 * `recordTypes` found. Kept apart from the session so the CLI, the run manager and tests share it.
 */
import { DecodedRecord, decodeRecordChecked, hexBytes } from '../../../core/src/events/decode';
import type { RecordType } from './record-types';

/** The shape of the loader's `records` event (core/src/loader/events.ts), structurally. */
export interface RawRecords {
  map: string;
  cpus: number[];
  data: string[];
}

export type RecordDecoder = (records: RawRecords) => DecodedRecord[];

export function createRecordDecoder(types: ReadonlyMap<string, RecordType>): RecordDecoder {
  return (records) => {
    const type = types.get(records.map);
    return records.data.map((base64, index) => {
      const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
      const cpu = records.cpus[index] ?? -1;
      if (!type) return { map: records.map, cpu, fields: {}, raw: hexBytes(bytes) };
      const { fields, problems } = decodeRecordChecked(type.layout, bytes);
      return { map: records.map, cpu, fields, ...(problems.length ? { problems } : {}) };
    });
  };
}
