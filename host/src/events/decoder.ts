/**
 * The run session's record decoder (host/src/loader.ts `RecordDecoder`: map name and bytes in,
 * fields out, undefined when the map's type is unknown so the record stays raw hex), built from
 * the layouts `recordTypes` found. Problems of short or long records go to `onProblem`, once per
 * map and kind, so a stream of 200k records/s does not become a stream of warnings.
 */
import { decodeRecordChecked, DecodedValue } from '../../../core/src/events/decode';
import type { RecordType } from './record-types';

export function createRecordDecoder(
  types: ReadonlyMap<string, RecordType>,
  onProblem?: (map: string, problem: string) => void,
): (map: string, bytes: Uint8Array) => { [field: string]: DecodedValue } | undefined {
  const reported = new Set<string>();
  return (map, bytes) => {
    const type = types.get(map);
    if (!type) return undefined;
    const { fields, problems } = decodeRecordChecked(type.layout, bytes);
    for (const problem of problems) {
      // The numbers differ record to record; the first of each kind per map is what helps.
      const kind = `${map}:${problem.replace(/\d+/g, 'N')}`;
      if (onProblem && !reported.has(kind)) {
        reported.add(kind);
        onProblem(map, problem);
      }
    }
    return fields;
  };
}
