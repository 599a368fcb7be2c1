/**
 * The one seam between a run's raw ring-buffer / perf-event records and the fields the trace
 * view shows (issue #11). Decoding proper (record types from BTF, DWARF or the source, and the
 * byte decoder) is `host/src/events/record-types.ts` + `core/src/events/decode.ts`; this
 * module only binds them to one run, so the view and RunManager never see how.
 */
import type { DecodedRecord } from '../../../core/src/events/record';

export interface RecordDecoder {
  /** Fields of one record; `fields: {}` plus `raw` hex when the map's type is unknown. */
  decode(map: string, bytes: Uint8Array): Pick<DecodedRecord, 'fields' | 'raw'>;
  /** The map's top-level field names in declaration order, when its type is known. */
  columns(map: string): string[] | undefined;
  /** Why some maps cannot be decoded (for the eBPF log). */
  notes: string[];
  /** The object's event maps (ring buffers and perf event arrays). */
  maps: string[];
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/**
 * Until the record-type lookup is in this build, every record is shown as hex: the table,
 * filters on `cpu`/`map` and saving still work, and nothing here changes when it lands.
 */
export async function recordDecoder(_objectPath: string, _sourceFile: string, _overrides: Record<string, string> = {}): Promise<RecordDecoder> {
  return {
    decode: (_map, bytes) => ({ fields: {}, raw: hex(bytes) }),
    columns: () => undefined,
    notes: ['record decoding is not available in this build: records are shown as hex'],
    maps: [],
  };
}
