/**
 * Log2 histograms drawn as text bars, in the layout bpftrace made familiar:
 *
 *     [4, 8)        12 |@@@@@@@@@@@@                                        |
 *
 * Slot i counts the values whose base-2 log is i, [2^i, 2^(i+1)); slot 0 also takes 0, since
 * the log2 helpers BPF programs use round 0 down to it. Only the slots from the first to the
 * last non-empty one are drawn.
 */

export interface HistogramRow {
  slot: number;
  /** `[4, 8)`, `[1K, 2K)`. */
  label: string;
  count: number;
  /** `width` cells, filled in proportion to the largest count. */
  bar: string;
}

export interface HistogramOptions {
  /** Cells of the bar for the largest count; bpftrace draws 52. */
  width?: number;
  fill?: string;
}

const SUFFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/** 2^exponent the short way: 512, 1K, 16M. */
export function powerOfTwoText(exponent: number): string {
  const group = Math.min(Math.floor(exponent / 10), SUFFIXES.length - 1);
  return `${2 ** (exponent - group * 10)}${SUFFIXES[group]}`;
}

export function log2SlotLabel(slot: number): string {
  return `[${slot === 0 ? '0' : powerOfTwoText(slot)}, ${powerOfTwoText(slot + 1)})`;
}

export function log2HistogramRows(counts: readonly number[], options: HistogramOptions = {}): HistogramRow[] {
  const width = options.width ?? 52;
  const fill = options.fill ?? '@';
  const first = counts.findIndex((count) => count > 0);
  if (first < 0) return [];
  let last = counts.length - 1;
  while (last > first && !(counts[last]! > 0)) last--;
  const largest = Math.max(...counts.slice(first, last + 1));
  const rows: HistogramRow[] = [];
  for (let slot = first; slot <= last; slot++) {
    const count = Math.max(0, counts[slot] ?? 0);
    const cells = largest > 0 ? Math.floor((count * width) / largest) : 0;
    rows.push({ slot, label: log2SlotLabel(slot), count, bar: fill.repeat(cells) + ' '.repeat(width - cells) });
  }
  return rows;
}

/** The whole histogram as lines of text, labels and counts aligned; '' when every slot is empty. */
export function renderLog2Histogram(counts: readonly number[], options: HistogramOptions = {}): string {
  const rows = log2HistogramRows(counts, options);
  if (rows.length === 0) return '';
  const labelWidth = Math.max(...rows.map((row) => row.label.length));
  const countWidth = Math.max(...rows.map((row) => String(row.count).length));
  return rows
    .map((row) => `${row.label.padEnd(labelWidth)} ${String(row.count).padStart(countWidth)} |${row.bar}|`)
    .join('\n');
}
