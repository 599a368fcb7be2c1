/**
 * Running programs and their trace output. Each run is a loader session on the target; the
 * trace lines go to the "eBPF Trace" view in batches, and when the producer outruns the view
 * the excess is counted and reported as dropped instead of growing memory without bound.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compileForTarget, CompileOptions } from '../../../host/src/compile';
import { RunSession } from '../../../host/src/loader';
// Without a decoder the session hands records over undecoded (bytes as hex in `raw`).
import type { DecodedRecord as SessionRecord } from '../../../host/src/loader';
import type { TargetManager } from '../targets/target-manager';
import type { Log } from '../log';
import { TraceBuffer } from '../../../core/src/trace/trace-buffer';
import { CostTracker } from '../../../core/src/events/stats';
import { objectWithKnobs, parseKnobFlags } from '../../../host/src/knobs';
import type { DecodedRecord } from '../../../core/src/events/record';
import { recordDecoder, RecordDecoder } from './record-decoder';

/** What a run configuration (launch.json type `bpfdev`) or the CLI chooses beyond the file. */
export interface RunOptions {
  /** `const volatile` / .data / .bss values set before load, by name (issue #11 knobs). */
  knobs?: Record<string, string>;
  only?: string[];
  skip?: string[];
  /** For XDP and tc programs. */
  iface?: string;
  /** Stop (detach) by itself after this long. */
  durationSeconds?: number;
  /** Map name → record type name: "Decode as…" overrides. */
  decodeAs?: Record<string, string>;
}

export interface RunSummary {
  /** The run's id (ActiveRun.id): what stopRun takes. */
  runId: number;
  file: string;
  target: string;
  attached: { name: string; section: string; progId: number }[];
  failed: { name: string; section: string; reason: string }[];
  /** Set when the programs run but their trace lines cannot be shown (another trace_pipe reader). */
  traceUnavailable?: string;
}

/** A run as the views see it: its loader session, the object it loaded (for its BTF) and where. */
export interface ActiveRun {
  /** Unique for the extension's lifetime: view items and commands name runs by it. */
  id: number;
  file: string;
  target: string;
  objectPath: string;
  startedAt: Date;
  session: RunSession;
  options: RunOptions;
  /** Runtime cost per program, from the loader's `stats` events. */
  costs: CostTracker;
  decoder: RecordDecoder;
}

/** A record as the view keeps it: decoded, with its arrival time (ISO 8601). */
export interface TimedRecord extends DecodedRecord { time: string }

/** Records of one flush interval. */
export interface EventBatch {
  records: TimedRecord[];
  /** Received but discarded, per map, because more came in one interval than the view keeps. */
  dropped: Map<string, number>;
  /** Records the kernel could not deliver, per map, since the previous batch. */
  lost: Map<string, number>;
}

/** As the session delivers it (undecoded: `raw` hex), until a flush decodes the ones kept. */
interface PendingRecord { run: ActiveRun; map: string; cpu: number; raw: string; time: number }

/** Trace lines of one flush interval, and how many were dropped since the previous one. */
export interface TraceBatch {
  lines: string[];
  dropped: number;
}

const FLUSH_INTERVAL_MS = 100;

export class RunManager implements vscode.Disposable {
  private readonly runs = new Set<ActiveRun>();
  private readonly traceLines = new vscode.EventEmitter<string>();
  private readonly output = vscode.window.createOutputChannel('eBPF Trace');
  private readonly buffer = new TraceBuffer(20_000);
  private flushTimer: NodeJS.Timeout | undefined;
  private nextRunId = 1;
  private readonly batches = new vscode.EventEmitter<TraceBatch>();
  /** Fires at most every 100 ms with the lines since the last batch (the trace view). */
  readonly onTraceBatch = this.batches.event;

  private readonly events = new TraceBuffer<PendingRecord>(20_000);
  private lostSinceFlush = new Map<string, number>();
  private droppedSinceFlush = new Map<string, number>();
  private readonly eventBatches = new vscode.EventEmitter<EventBatch>();
  /** Fires at most every 100 ms with the decoded records since the last batch (the trace view's tables). */
  readonly onEventBatch = this.eventBatches.event;
  private readonly statsChanged = new vscode.EventEmitter<ActiveRun>();
  /** Fires when a run's runtime cost is updated (Running Programs view, CodeLens). */
  readonly onDidChangeStats = this.statsChanged.event;

  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a run starts or ends (status bar, Running programs view). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: Log, private readonly targets: TargetManager) {
    // Programs run on the host they were started on; switching hosts stops them first.
    targets.onDidChange(() => void this.stopAll());
  }

  get count(): number {
    return this.runs.size;
  }

  /** The runs in the order they started. */
  list(): readonly ActiveRun[] {
    return [...this.runs];
  }

  /** Stops one run (the Stop action of the Running Programs view); false when it had ended already. */
  async stopRun(id: number): Promise<boolean> {
    const run = [...this.runs].find((candidate) => candidate.id === id);
    if (!run) return false;
    await run.session.stop();
    this.runs.delete(run);
    this.changed.fire();
    return true;
  }

  onTraceLine(listener: (line: string) => void): vscode.Disposable {
    return this.traceLines.event(listener);
  }

  /** The cost of a program of `file` while it runs (the SEC CodeLens), by program name. */
  costOf(file: string, program: string): ReturnType<CostTracker['byName']> {
    for (const run of this.runs) if (run.file === file) { const cost = run.costs.byName(program); if (cost) return cost; }
    return undefined;
  }

  /**
   * "Decode as…": from now on, `map`'s records are read as `typeName`.
   * Resolves the decoders' notes (whether the type was found, and where).
   */
  async decodeAs(map: string, typeName: string): Promise<string[]> {
    const notes: string[] = [];
    // Every run: one whose object has no such map only notes so.
    for (const run of this.runs) {
      run.options.decodeAs = { ...run.options.decodeAs, [map]: typeName };
      run.decoder = await recordDecoder(run.objectPath, run.file, decodeOverrides(run.file, run.options));
      notes.push(...run.decoder.notes.filter((note) => note.startsWith(`${map}:`)));
    }
    return notes;
  }

  async start(file: string, compile: CompileOptions, report: (message: string) => void, options: RunOptions = {}): Promise<RunSummary> {
    report('connecting');
    const target = await this.targets.ready();
    report(`compiling for ${target.name}`);
    const compiled = await compileForTarget(file, target, compile);
    if (!compiled.ok) {
      const first = compiled.diagnostics.find((diagnostic) => diagnostic.severity === 'error');
      throw new Error(`compile failed${first ? `: ${path.basename(first.file)}:${first.line}: ${first.message}` : ''} — see the Problems panel`);
    }
    report(`attaching on ${target.name}`);
    // Knobs are written into a copy of the object before upload; every value is checked against its BTF type first.
    const knobs = Object.entries(options.knobs ?? {}).map(([name, value]) => `${name}=${value}`);
    const { objectPath, applied } = await objectWithKnobs(compiled.objectPath, parseKnobFlags(knobs));
    if (applied.length) this.log.info(`[${path.basename(file)}] knobs: ${applied.join(', ')}`);
    const decoder = await recordDecoder(objectPath, file, decodeOverrides(file, options));
    for (const note of decoder.notes) this.log.info(`[${path.basename(file)}] ${note}`);
    // RunSession turns these into the loader's run arguments (--only, --skip, --iface, stats on).
    const loaderOptions = { trace: true, stats: true, ...runArguments(options) };
    const session = await RunSession.start(target, objectPath, loaderOptions);
    const run: ActiveRun = {
      id: this.nextRunId++, file, target: target.name, objectPath, startedAt: new Date(), session, options, costs: new CostTracker(), decoder,
    };
    this.runs.add(run);
    this.changed.fire();
    session.on('trace', (line) => this.onTrace(line));
    session.on('records', (records) => this.onRecords(run, records));
    session.on('lost', (lost) => { this.lostSinceFlush.set(lost.map, (this.lostSinceFlush.get(lost.map) ?? 0) + lost.count); this.schedule(); });
    session.on('stats', (stats) => { run.costs.update(stats.programs, Number(process.hrtime.bigint())); this.statsChanged.fire(run); });
    session.on('event', (event) => {
      this.log.info(`[${path.basename(file)}] ${JSON.stringify(event)}`);
    });
    if (options.durationSeconds && options.durationSeconds > 0) {
      const timer = setTimeout(() => void this.stopRun(run.id), options.durationSeconds * 1000);
      void session.exited.then(() => clearTimeout(timer));
    }
    void session.exited.then((status) => {
      this.runs.delete(run);
      this.changed.fire();
      this.log.info(`[${path.basename(file)}] loader exited (${status.signal ?? status.code})`);
    });
    try {
      await session.ready;
    } catch (error) {
      await session.stop();
      throw error;
    }
    const summary: RunSummary = {
      runId: run.id,
      file,
      target: target.name,
      attached: session.attached.map(({ name, section, progId }) => ({ name, section, progId })),
      failed: session.attachFailures.map(({ name, section, reason }) => ({ name, section, reason })),
      ...(session.traceUnavailable ? { traceUnavailable: session.traceUnavailable } : {}),
    };
    if (summary.traceUnavailable) {
      this.output.appendLine(`--- no trace lines: ${summary.traceUnavailable} ---`);
      void vscode.window.showWarningMessage(`eBPF: ${path.basename(file)} runs on ${target.name}, but its trace cannot be shown: ${summary.traceUnavailable}`);
    }
    this.output.appendLine(`--- ${path.basename(file)} on ${target.name}: ${summary.attached.length} attached` +
      (summary.failed.length ? `, ${summary.failed.length} failed (${summary.failed.map((f) => `${f.name}: ${f.reason}`).join('; ')})` : '') + ' ---');
    // The trace view is the main view (it reveals itself when a run starts); this channel is the plain-text fallback.
    if (summary.attached.length === 0) {
      await session.stop();
      throw new Error(`no program of ${path.basename(file)} could be attached: ${summary.failed.map((f) => `${f.name}: ${f.reason}`).join('; ') || 'see the eBPF log'}`);
    }
    return summary;
  }

  async stopAll(): Promise<number> {
    const stopping = [...this.runs].map(async (run) => {
      await run.session.stop();
      this.runs.delete(run);
    });
    if (stopping.length) this.changed.fire();
    await Promise.all(stopping);
    if (stopping.length) {
      this.flush();
      this.output.appendLine(`--- stopped ${stopping.length} run(s); programs detached ---`);
    }
    return stopping.length;
  }

  dispose(): void {
    // Window close / extension shutdown: closing each loader's stdin detaches its programs.
    void this.stopAll();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.traceLines.dispose();
    this.batches.dispose();
    this.eventBatches.dispose();
    this.statsChanged.dispose();
    this.changed.dispose();
    this.output.dispose();
  }

  private onTrace(line: string): void {
    this.traceLines.fire(line);
    this.buffer.push(line);
    this.schedule();
  }

  /** Records stay hex until a flush: only those the ring keeps are ever decoded. */
  private onRecords(run: ActiveRun, records: readonly SessionRecord[]): void {
    const time = Date.now();
    for (const { map, cpu, raw } of records) {
      const dropped = this.events.push({ run, map, cpu, raw: raw ?? '', time });
      if (dropped) this.droppedSinceFlush.set(dropped.map, (this.droppedSinceFlush.get(dropped.map) ?? 0) + 1);
    }
    this.schedule();
  }

  private schedule(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  private flushEvents(): void {
    const { lines: pending } = this.events.drain();
    if (!pending.length && !this.droppedSinceFlush.size && !this.lostSinceFlush.size) return;
    const records = pending.map(({ run, map, cpu, raw, time }): TimedRecord => ({
      map, cpu, time: new Date(time).toISOString(), ...run.decoder.decode(map, Buffer.from(raw, 'hex')),
    }));
    const batch = { records, dropped: this.droppedSinceFlush, lost: this.lostSinceFlush };
    this.lostSinceFlush = new Map();
    this.droppedSinceFlush = new Map();
    this.eventBatches.fire(batch);
  }

  private flush(): void {
    this.flushTimer = undefined;
    this.flushEvents();
    const { lines, dropped } = this.buffer.drain();
    if (dropped) lines.push(`--- ${dropped} trace line(s) dropped: the kernel produced them faster than the view can show ---`);
    if (lines.length || dropped) this.batches.fire({ lines: dropped ? lines.slice(0, -1) : lines, dropped });
    if (lines.length) this.output.append(lines.join('\n') + '\n');
  }
}

/** Run options the loader session takes; only those set, so an older loader sees its old argv. */
function runArguments(options: RunOptions): { only?: string[]; skip?: string[]; iface?: string } {
  return {
    ...(options.only?.length ? { only: options.only } : {}),
    ...(options.skip?.length ? { skip: options.skip } : {}),
    ...(options.iface ? { iface: options.iface } : {}),
  };
}

/** The user's record types: the setting, then the run configuration's, which wins. */
function decodeOverrides(file: string, options: RunOptions): Record<string, string> {
  return { ...vscode.workspace.getConfiguration('bpfdev.events', vscode.Uri.file(file)).get<Record<string, string>>('decodeAs', {}), ...options.decodeAs };
}
