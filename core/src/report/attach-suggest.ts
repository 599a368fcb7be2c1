/**
 * "Did you mean" for attach targets the kernel does not have. Programs that attach through BTF
 * (fentry, fexit, fmod_ret, lsm, tp_btf) name a kernel function or tracepoint that must exist in
 * the target's BTF at load time; the names it does have are the candidates.
 */
import type { Btf } from '../btf/reader';
import { BtfKind } from '../btf/types';

/** Kinds of BTF attach target, by SEC() prefix (a trailing `.s` marks a sleepable variant). */
export function attachTargetKind(section: string): 'function' | 'lsm-hook' | 'btf-tracepoint' | undefined {
  const prefix = section.split('/')[0].replace(/\.s$/, '');
  switch (prefix) {
    case 'fentry': case 'fexit': case 'fmod_ret': return 'function';
    case 'lsm': case 'lsm_cgroup': return 'lsm-hook';
    case 'tp_btf': return 'btf-tracepoint';
    default: return undefined;
  }
}

/** The names a section of this kind may attach to, read from the kernel's BTF. */
export function attachCandidates(btf: Btf, kind: NonNullable<ReturnType<typeof attachTargetKind>>): string[] {
  const names: string[] = [];
  for (let id = 1; id <= btf.typeCount; id++) {
    const typeKind = btf.kindOf(id);
    if (kind === 'btf-tracepoint') {
      // Each BTF tracepoint has a `btf_trace_<name>` typedef for its prototype.
      if (typeKind !== BtfKind.Typedef) continue;
      const name = btf.nameOf(id);
      if (name.startsWith('btf_trace_')) names.push(name.slice('btf_trace_'.length));
    } else if (typeKind === BtfKind.Func) {
      const name = btf.nameOf(id);
      if (kind === 'function') names.push(name);
      else if (name.startsWith('bpf_lsm_')) names.push(name.slice('bpf_lsm_'.length));
    }
  }
  return names;
}

/**
 * Up to `limit` candidates closest to `wanted` by edit distance (adjacent swaps count as one
 * edit), only those close enough to be a plausible typo: at most a third of the name.
 */
export function closestNames(wanted: string, candidates: Iterable<string>, limit = 3): string[] {
  const maxDistance = Math.max(1, Math.min(4, Math.floor(wanted.length / 3)));
  const scored: { name: string; distance: number }[] = [];
  const seen = new Set<string>();
  for (const name of candidates) {
    if (name === wanted || seen.has(name) || Math.abs(name.length - wanted.length) > maxDistance) continue;
    seen.add(name);
    const distance = editDistance(wanted, name, maxDistance);
    if (distance <= maxDistance) scored.push({ name, distance });
  }
  scored.sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  return scored.slice(0, limit).map((entry) => entry.name);
}

/** Optimal string alignment distance, giving up (returning `bound + 1`) once a row exceeds `bound`. */
export function editDistance(a: string, b: string, bound = Infinity): number {
  let previousPrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, previousPrevious[j - 2] + 1);
      current.push(value);
      if (value < rowMinimum) rowMinimum = value;
    }
    if (rowMinimum > bound) return bound + 1;
    previousPrevious = previous;
    previous = current;
  }
  return previous[b.length];
}
