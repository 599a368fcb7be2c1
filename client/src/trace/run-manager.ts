/**
 * Running programs and their trace output. Each run is a loader session on the target; the
 * trace lines go to the "eBPF Trace" view in batches, and when the producer outruns the view
 * the excess is counted and reported as dropped instead of growing memory without bound.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compileForTarget, CompileOptions } from '../../../host/src/compile';
import { RunSession } from '../../../host/src/loader';
import type { TargetManager } from '../targets/target-manager';
import type { Log } from '../log';
import { TraceBuffer } from '../../../core/src/trace/trace-buffer';

export interface RunSummary {
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
}

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

  async start(file: string, compile: CompileOptions, report: (message: string) => void): Promise<RunSummary> {
    report('connecting');
    const target = await this.targets.ready();
    report(`compiling for ${target.name}`);
    const compiled = await compileForTarget(file, target, compile);
    if (!compiled.ok) {
      const first = compiled.diagnostics.find((diagnostic) => diagnostic.severity === 'error');
      throw new Error(`compile failed${first ? `: ${path.basename(first.file)}:${first.line}: ${first.message}` : ''} — see the Problems panel`);
    }
    report(`attaching on ${target.name}`);
    const session = await RunSession.start(target, compiled.objectPath, { trace: true });
    const run: ActiveRun = { id: this.nextRunId++, file, target: target.name, objectPath: compiled.objectPath, startedAt: new Date(), session };
    this.runs.add(run);
    this.changed.fire();
    session.on('trace', (line) => this.onTrace(line));
    session.on('event', (event) => this.log.info(`[${path.basename(file)}] ${JSON.stringify(event)}`));
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
    this.changed.dispose();
    this.output.dispose();
  }

  private onTrace(line: string): void {
    this.traceLines.fire(line);
    this.buffer.push(line);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const { lines, dropped } = this.buffer.drain();
    if (dropped) lines.push(`--- ${dropped} trace line(s) dropped: the kernel produced them faster than the view can show ---`);
    if (lines.length || dropped) this.batches.fire({ lines: dropped ? lines.slice(0, -1) : lines, dropped });
    if (lines.length) this.output.append(lines.join('\n') + '\n');
  }
}
