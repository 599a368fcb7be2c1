/**
 * The one seam between a run's raw ring-buffer / perf-event records and the fields the trace
 * view shows (issue #11): the record types of the object's event maps (BTF, DWARF via pahole,
 * the source's call sites, or the user's "decode as"; host/src/events/record-types.ts) bound
 * to one run. RunManager decodes only the records the view keeps, so a flood costs the
 * extension host no more than what it shows.
 */
import * as fs from 'node:fs/promises';
import { recordTypes } from '../../../host/src/events/record-types';
import { createRecordDecoder } from '../../../host/src/events/decoder';
import type { DecodedRecord } from '../../../core/src/events/record';

export interface RecordDecoder {
  /** Fields of one record; `fields: {}` plus `raw` hex when the map's type is unknown. */
  decode(map: string, bytes: Uint8Array): Pick<DecodedRecord, 'fields' | 'raw'>;
  /** Which type each map got and from where, what could not be found, and records that did not fit (for the eBPF log). */
  notes: string[];
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export async function recordDecoder(objectPath: string, sourceFile: string, overrides: Record<string, string> = {}): Promise<RecordDecoder> {
  const sourceText = await fs.readFile(sourceFile, 'utf8').catch(() => undefined);
  const { types, notes } = await recordTypes(objectPath, { ...(sourceText !== undefined ? { sourceText } : {}), overrides });
  const decoder: RecordDecoder = {
    decode: (map, bytes) => {
      const fields = decodeFields(map, bytes);
      return fields ? { fields } : { fields: {}, raw: hex(bytes) };
    },
    notes: [...[...types.values()].map((type) => `${type.map}: records are ${type.layout.typeName} (from ${type.origin})`), ...notes],
  };
  // Short or long records are reported once per map and kind, not per record.
  const decodeFields = createRecordDecoder(types, (map, problem) => decoder.notes.push(`${map}: ${problem}`));
  return decoder;
}
