/**
 * The loader's answer to the `maps` command of a run session (loader/README.md, "Commands of
 * run"): every map of the running object with its keys and values as hex, and optionally the
 * object's finalized BTF to decode them with.
 */

export interface MapDumpEntry {
  /** Key bytes as lowercase hex. */
  key: string;
  /** Value bytes as lowercase hex; for per-CPU maps one 8-byte-aligned slot per possible CPU. */
  value: string;
}

export interface MapDump {
  name: string;
  /** Kernel map id. */
  id?: number;
  /** libbpf's map type name: `hash`, `array`, `percpu_array`, `ringbuf`, ... */
  type?: string;
  keySize?: number;
  valueSize?: number;
  maxEntries?: number;
  flags?: number;
  /** Type ids in the object's BTF; 0 when the map was declared without BTF. */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  percpu?: boolean;
  cpus?: number;
  entries: MapDumpEntry[];
  /** More entries exist than the request's limit allowed. */
  truncated?: boolean;
  /** Why the map (or the rest of it) could not be read. */
  error?: string;
}

export interface MapsEvent {
  event: 'maps';
  maps: MapDump[];
  maxEntries: number;
  /** The object's BTF as hex, when asked for with `maps N btf`; null when the object has none. */
  btf?: string | null;
  error?: string;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/** Hex as the loader writes it to bytes; a non-hex digit ends the decode there. */
export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let index = 0; index < bytes.length; index++) {
    const high = hexDigit(hex.charCodeAt(index * 2));
    const low = hexDigit(hex.charCodeAt(index * 2 + 1));
    if (high < 0 || low < 0) return bytes.subarray(0, index);
    bytes[index] = high * 16 + low;
  }
  return bytes;
}

/**
 * Splits a per-CPU value into one view per CPU: the kernel hands them out as `cpus` slots of
 * `valueSize` rounded up to 8 bytes.
 */
export function perCpuSlices(value: Uint8Array, valueSize: number, cpus: number): Uint8Array[] {
  const stride = Math.ceil(valueSize / 8) * 8;
  const slices: Uint8Array[] = [];
  for (let cpu = 0; cpu < cpus && cpu * stride + valueSize <= value.length; cpu++) {
    slices.push(value.subarray(cpu * stride, cpu * stride + valueSize));
  }
  return slices;
}
