/**
 * The record type of each event map of an object (issue #11), in this order of trust:
 *   override  the user said so (`bpfdev.events.decodeAs`, `--decode-as MAP=TYPE`);
 *   btf       the map's `__type(value, T)` in the object's BTF;
 *   source    the source's reserve/output call names T, and T is in the object's BTF;
 *   dwarf     the call names T, which is only in the object's DWARF: clang keeps a local's type
 *             out of BTF, so pahole turns the DWARF into BTF for us (the usual case:
 *             `struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0)`).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Btf, parseBtf } from '../../../core/src/btf/reader';
import { objectLineInfo } from '../../../core/src/btf/line-info';
import { parseElf } from '../../../core/src/elf/reader';
import { recordCallSites, RecordCallSite } from '../../../core/src/events/call-sites';
import { RecordLayout, recordLayout } from '../../../core/src/events/decode';
import { EventMap, eventMaps, findTypeByCName } from '../../../core/src/events/maps';

export interface RecordType {
  map: string;
  layout: RecordLayout;
  origin: 'btf' | 'dwarf' | 'source' | 'override';
}

export interface RecordTypesOptions {
  /** The program's source; by default the file the object's line info names, if it still exists. */
  sourceText?: string;
  /** map name → C type name (`struct event`, `event_t`, or a bare struct name). */
  overrides?: Record<string, string>;
  /** pahole to run for DWARF (default: `pahole` on PATH). */
  pahole?: string;
}

const run = promisify(execFile);

export async function recordTypes(objectPath: string, options: RecordTypesOptions = {}): Promise<{ types: Map<string, RecordType>; notes: string[] }> {
  const types = new Map<string, RecordType>();
  const notes: string[] = [];
  let object: Uint8Array;
  try {
    object = new Uint8Array(await fs.promises.readFile(objectPath));
  } catch (error) {
    // Records then stay raw: a run must not fail because its records cannot be decoded.
    notes.push(`cannot read ${objectPath} for its record types: ${(error as Error).message}`);
    return { types, notes };
  }
  const btf = objectBtf(object, notes);
  if (!btf) return { types, notes };
  const maps = eventMaps(btf);
  for (const name of Object.keys(options.overrides ?? {})) {
    if (!maps.some((map) => map.name === name)) notes.push(`decode-as ${name}: the object has no ring buffer or perf event array named ${name}`);
  }
  if (maps.length === 0) return { types, notes };

  const sourceText = options.sourceText ?? readSource(object);
  const sites = sourceText === undefined ? [] : recordCallSites(sourceText);
  // pahole only when some map needs a type the object's BTF lacks.
  let dwarf: Promise<Btf | undefined> | undefined;
  const dwarfBtf = () => (dwarf ??= btfFromDwarf(objectPath, options.pahole ?? 'pahole', notes));

  for (const map of maps) {
    const found = await typeFor(map, btf, sites, options.overrides?.[map.name], dwarfBtf, notes);
    if (found) types.set(map.name, { map: map.name, ...found });
    else notes.push(`${map.name}: no record type found (no __type(value, …), no reserve/output call naming one); records are shown as hex. Set one with --decode-as ${map.name}=TYPE or the bpfdev.events.decodeAs setting`);
  }
  return { types, notes };
}

async function typeFor(
  map: EventMap, btf: Btf, sites: RecordCallSite[], override: string | undefined,
  dwarfBtf: () => Promise<Btf | undefined>, notes: string[],
): Promise<{ layout: RecordLayout; origin: RecordType['origin'] } | undefined> {
  if (override) {
    const layout = (await layoutByName(override, btf, dwarfBtf, `${map.name}: decode-as`, notes))?.layout;
    if (layout) return { layout, origin: 'override' };
  }
  if (map.valueTypeId !== undefined) {
    const { layout, error } = recordLayout(btf, map.valueTypeId);
    if (layout) return { layout, origin: 'btf' };
    notes.push(`${map.name}: __type(value, …) cannot describe records: ${error}`);
  }
  const named = [...new Set(sites.filter((site) => site.map === map.name).map((site) => site.typeName))];
  if (named.length > 1) notes.push(`${map.name}: the source writes several types into it (${named.join(', ')}); decoding as ${named[0]}`);
  if (named.length === 0) return undefined;
  const found = await layoutByName(named[0], btf, dwarfBtf, map.name, notes);
  return found && { layout: found.layout, origin: found.fromDwarf ? 'dwarf' : 'source' };
}

async function layoutByName(
  typeName: string, btf: Btf, dwarfBtf: () => Promise<Btf | undefined>, context: string, notes: string[],
): Promise<{ layout: RecordLayout; fromDwarf: boolean } | undefined> {
  for (const [candidate, fromDwarf] of [[btf, false], [await dwarfBtf(), true]] as const) {
    if (!candidate) continue;
    const id = findTypeByCName(candidate, typeName) ?? (/^\w+$/.test(typeName) ? findTypeByCName(candidate, `struct ${typeName}`) : undefined);
    if (id === undefined) continue;
    const { layout, error } = recordLayout(candidate, id);
    if (layout) return { layout, fromDwarf };
    notes.push(`${context}: ${typeName} cannot describe records: ${error}`);
    return undefined;
  }
  notes.push(`${context}: no type ${typeName} in the object's BTF or DWARF`);
  return undefined;
}

function objectBtf(object: Uint8Array, notes: string[]): Btf | undefined {
  const { elf, errors } = parseElf(object);
  const section = elf?.sections.find((candidate) => candidate.name === '.BTF');
  if (!elf || !section || section.offset + section.size > object.length) {
    notes.push(`no BTF in the object (${errors.map((error) => error.message).join('; ') || 'build it with clang -g'}); event maps cannot be found`);
    return undefined;
  }
  const parsed = parseBtf(object.subarray(section.offset, section.offset + section.size));
  if (!parsed.btf) notes.push(`the object's BTF is unreadable: ${parsed.errors.join('; ')}`);
  return parsed.btf ?? undefined;
}

/** The program's own file, as the object's line info names it (the first source of its first program). */
function readSource(object: Uint8Array): string | undefined {
  const info = objectLineInfo(object);
  for (const file of [...info.sections.map((section) => section.firstFile), ...info.files]) {
    if (!file || !/\.c$/.test(file)) continue;
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      // Built elsewhere or moved: try the next name.
    }
  }
  return undefined;
}

/** A detached BTF of the object's DWARF, with the locals' types clang leaves out of `.BTF`. */
async function btfFromDwarf(objectPath: string, pahole: string, notes: string[]): Promise<Btf | undefined> {
  const directory = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'bpfdev-dwarf-'));
  const output = path.join(directory, 'dwarf.btf');
  try {
    await run(pahole, [`--btf_encode_detached=${output}`, objectPath], { timeout: 60_000 });
    const parsed = parseBtf(new Uint8Array(await fs.promises.readFile(output)));
    if (!parsed.btf) notes.push(`pahole's BTF of the object's DWARF is unreadable: ${parsed.errors.join('; ')}`);
    return parsed.btf ?? undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    notes.push(code === 'ENOENT'
      ? `pahole is not installed (dwarves); types known only from DWARF cannot be used`
      : `pahole could not read the object's DWARF (was it built with -g?): ${String((error as { stderr?: string }).stderr || (error as Error).message).trim()}`);
    return undefined;
  } finally {
    await fs.promises.rm(directory, { recursive: true, force: true });
  }
}

/** Settings and `--decode-as MAP=TYPE` flags as one override table; errors for malformed flags. */
export function parseDecodeAs(flags: string[]): { overrides: Record<string, string>; errors: string[] } {
  const overrides: Record<string, string> = {};
  const errors: string[] = [];
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    if (equals <= 0 || equals === flag.length - 1) errors.push(`--decode-as wants MAP=TYPE (e.g. rb="struct event"), not "${flag}"`);
    else overrides[flag.slice(0, equals).trim()] = flag.slice(equals + 1).trim();
  }
  return { overrides, errors };
}
