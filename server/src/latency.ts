/** In-server latency samples per feature, reported through `bpfdev/stats` for the benchmark. */
export class LatencyRecorder {
  private readonly samples = new Map<string, number[]>();

  record(feature: string, ms: number): void {
    let list = this.samples.get(feature);
    if (!list) this.samples.set(feature, (list = []));
    if (list.length >= 100_000) list.shift();
    list.push(ms);
  }

  summary(): Record<string, { count: number; p50: number; p99: number; max: number }> {
    const result: Record<string, { count: number; p50: number; p99: number; max: number }> = {};
    for (const [feature, list] of this.samples) {
      const sorted = [...list].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      result[feature] = { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
    }
    return result;
  }

  reset(): void {
    this.samples.clear();
  }
}
