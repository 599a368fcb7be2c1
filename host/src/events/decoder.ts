/**
 * The run session's record decoder (host/src/loader.ts `RecordDecoder`: map name and bytes in,
 * fields out, undefined when the map's type is unknown so the record stays raw hex), built from
 * the layouts `recordTypes` found. Problems of short or long records go to `onProblem`, once per
 * map and kind, so a stream of 200k records/s does not become a stream of warnings.
 */
import * as fs from 'node:fs';
import { decodeRecordChecked, DecodedValue } from '../../../core/src/events/decode';
import { recordTypes, RecordType } from './record-types';

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

/**
 * The CLI's `decoderFor` (cli/src/run-command.ts): finds the record types of the compiled
 * object (its source read from the object's line info, or `sourcePath`) and says on `note`
 * which type each map got and from where, and what it could not find.
 */
export function recordDecoderFor(overrides: Record<string, string>, note: (line: string) => void) {
  return async (objectPath: string, sourcePath?: string): Promise<ReturnType<typeof createRecordDecoder> | undefined> => {
    const sourceText = sourcePath ? await fs.promises.readFile(sourcePath, 'utf8').catch(() => undefined) : undefined;
    const { types, notes } = await recordTypes(objectPath, { overrides, ...(sourceText !== undefined ? { sourceText } : {}) });
    for (const type of types.values()) note(`${type.map}: records are ${type.layout.typeName} (${type.layout.size} bytes, from ${ORIGINS[type.origin]})`);
    for (const line of notes) note(line);
    return types.size ? createRecordDecoder(types, (map, problem) => note(`${map}: ${problem}`)) : undefined;
  };
}

const ORIGINS: Record<RecordType['origin'], string> = {
  btf: "the map's __type(value, …)", source: "the source's reserve/output call", dwarf: "the object's DWARF", override: '--decode-as',
};
