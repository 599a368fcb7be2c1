/**
 * The event maps of an object (ring buffers and perf event arrays) as its BTF declares them in
 * `.maps`. libbpf's `__uint(type, N)` is a member `int (*type)[N]` and `__type(value, T)` a
 * member `T *value`: the numbers and types are read back from those shapes.
 */
import type { Btf } from '../btf/reader';
import { BtfKind } from '../btf/types';

/** UAPI `enum bpf_map_type` values of the maps user space reads records from. */
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
export const BPF_MAP_TYPE_RINGBUF = 27;

export interface EventMap {
  name: string;
  kind: 'ringbuf' | 'perf';
  /** `__type(value, T)` when it names a type a record can have (a perf array's u32 fd slot does not). */
  valueTypeId?: number;
}

export function eventMaps(btf: Btf): EventMap[] {
  const maps: EventMap[] = [];
  const section = btf.findByName('.maps', BtfKind.Datasec);
  if (section?.kind !== BtfKind.Datasec) return maps;
  for (const entry of section.vars) {
    const variable = btf.typeById(entry.type);
    if (variable?.kind !== BtfKind.Var) continue;
    const definition = btf.typeById(btf.resolve(variable.type));
    if (definition?.kind !== BtfKind.Struct) continue;
    let mapType: number | undefined;
    let valueTypeId: number | undefined;
    for (const member of definition.members) {
      const pointer = btf.typeById(btf.resolve(member.type));
      if (pointer?.kind !== BtfKind.Ptr) continue;
      if (member.name === 'type') {
        const array = btf.typeById(btf.resolve(pointer.type));
        if (array?.kind === BtfKind.Array) mapType = array.nelems;
      } else if (member.name === 'value') {
        valueTypeId = pointer.type;
      }
    }
    const kind = mapType === BPF_MAP_TYPE_RINGBUF ? 'ringbuf' : mapType === BPF_MAP_TYPE_PERF_EVENT_ARRAY ? 'perf' : undefined;
    if (!kind) continue;
    const usable = valueTypeId !== undefined && isRecordType(btf, valueTypeId);
    maps.push({ name: variable.name, kind, ...(usable ? { valueTypeId } : {}) });
  }
  return maps;
}

/** Structs, unions and arrays describe records; a scalar value type is the perf array's fd slot. */
function isRecordType(btf: Btf, id: number): boolean {
  const kind = btf.kindOf(btf.resolve(id));
  return kind === BtfKind.Struct || kind === BtfKind.Union;
}

/**
 * A type by its C spelling (`struct event`, `union u`, `enum e`, `event_t`), or undefined.
 * Several types can share a name after pahole merges DWARF units; the first complete one wins.
 */
export function findTypeByCName(btf: Btf, spelled: string): number | undefined {
  const match = /^\s*(struct|union|enum)?\s*([A-Za-z_]\w*)\s*$/.exec(spelled);
  if (!match) return undefined;
  const [, tag, name] = match;
  const kinds = tag === 'struct' ? [BtfKind.Struct] : tag === 'union' ? [BtfKind.Union] : tag === 'enum' ? [BtfKind.Enum, BtfKind.Enum64] : [BtfKind.Typedef, BtfKind.Struct, BtfKind.Union, BtfKind.Int];
  for (const kind of kinds) {
    const found = btf.findAllByName(name, kind).find((type) => (btf.sizeOf(type.id) ?? 0) > 0);
    if (found) return found.id;
  }
  return undefined;
}
