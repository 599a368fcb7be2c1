/**
 * Runtime cost of running programs from the loader's `stats` events (cumulative run count and
 * run time per program, BPF_ENABLE_STATS): the numbers bpftop shows. The % of one CPU is over
 * the interval between two samples, so it tracks the current load rather than the average
 * since start; the average ns per run is since start, which is what source tuning compares.
 */

export interface ProgramStatsSample { name: string; id: number; runCount: number; runTimeNs: number }

export interface ProgramCost {
  name: string;
  id: number;
  runCount: number;
  runTimeNs: number;
  /** undefined before the first run. */
  avgNs?: number;
  /** Of one CPU over the last interval; undefined until two samples exist. */
  cpuPercent?: number;
}

/** Keeps the previous sample per program so each new one yields a rate. */
export class CostTracker {
  private previous = new Map<number, { sample: ProgramStatsSample; atNs: number }>();
  private latest = new Map<number, ProgramCost>();

  /** `atNs`: when the sample was received, on a monotonic clock. */
  update(programs: readonly ProgramStatsSample[], atNs: number): ProgramCost[] {
    for (const sample of programs) {
      const before = this.previous.get(sample.id);
      const cost: ProgramCost = { ...sample };
      if (sample.runCount > 0) cost.avgNs = sample.runTimeNs / sample.runCount;
      if (before && atNs > before.atNs && sample.runTimeNs >= before.sample.runTimeNs) {
        cost.cpuPercent = ((sample.runTimeNs - before.sample.runTimeNs) / (atNs - before.atNs)) * 100;
      }
      this.previous.set(sample.id, { sample, atNs });
      this.latest.set(sample.id, cost);
    }
    return [...this.latest.values()];
  }

  byName(name: string): ProgramCost | undefined {
    return [...this.latest.values()].find((cost) => cost.name === name);
  }

  get all(): ProgramCost[] {
    return [...this.latest.values()];
  }
}

/** `1,234 runs · 812 ns/run · 0.4% CPU`: the same words in the view, the CodeLens and the CLI. */
export function describeCost(cost: ProgramCost): string {
  const parts = [`${cost.runCount.toLocaleString('en-US')} run${cost.runCount === 1 ? '' : 's'}`];
  if (cost.avgNs !== undefined) parts.push(`${cost.avgNs < 10 ? cost.avgNs.toFixed(1) : Math.round(cost.avgNs).toLocaleString('en-US')} ns/run`);
  if (cost.cpuPercent !== undefined) parts.push(`${cost.cpuPercent < 0.1 ? cost.cpuPercent.toFixed(3) : cost.cpuPercent.toFixed(1)}% CPU`);
  return parts.join(' · ');
}
