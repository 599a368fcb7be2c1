/**
 * The "eBPF Trace" view: a webview in the panel showing the trace_pipe lines of the running
 * programs in columns (task, pid, cpu, time, message), with a filter, pause, clear, save and a
 * dropped-line counter. It stays responsive under a flood: lines arrive in batches every
 * ~100 ms (RunManager); one message at a time is in flight to the page, which acknowledges each,
 * so a page slower than the kernel gets the newest `bpfdev.trace.maxRows` lines of everything
 * that came meanwhile instead of a growing queue; what was never drawn is counted as dropped.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { webviewPage } from '../webview-page';
import { LineHistory } from '../../../core/src/trace/line-history';
import { parseTraceLine } from '../../../core/src/trace/trace-line';
import type { Log } from '../log';
import type { ActiveRun, RunManager, TraceBatch } from './run-manager';
import { EventTables, EventTableState, EventsFromPage, EventsToPage } from './event-tables';

export const TRACE_VIEW_ID = 'bpfdev.trace';

/** A row as the page draws it: the columns of a record, or one text cell for anything else. */
type Row = [time: string, task: string, pid: number, cpu: number, message: string] | [text: string];

type ToPage =
  | { type: 'reset'; rows: Row[]; maxRows: number; paused: boolean; counters: Counters }
  | { type: 'rows'; rows: Row[]; counters: Counters }
  | { type: 'notice'; text: string; level: 'info' | 'warning' }
  | { type: 'title'; text: string; detail: string };

type FromPage = { type: 'ready' } | { type: 'ack'; rows: number } | { type: 'clear' } | { type: 'save' } | { type: 'pause' } | EventsFromPage;

interface Counters {
  /** Lines received since the last clear. */
  total: number;
  /** Lines that never reached the extension: lost in the kernel's buffer (LOST EVENTS) or dropped on the way. */
  lost: number;
  /** Lines received (and kept for Save) but never drawn: they came faster than the page can draw. */
  skipped: number;
  paused: boolean;
}

/** What `bpfdev.showTrace` resolves: enough for tests and the walkthrough to see the view's state. */
export interface TraceViewState {
  visible: boolean;
  /** The page has loaded (it then asks for the kept rows). */
  pageReady: boolean;
  /** Rows drawn on the page as of its last acknowledgement: tests wait for it before a screenshot. */
  shownRows: number;
  title: string;
  total: number;
  /** lost + skipped: every line the view did not show. */
  dropped: number;
  lost: number;
  skipped: number;
  kept: number;
  paused: boolean;
  /** One table per event map that sent records (issue #11), by map name. */
  events: Record<string, EventTableState>;
}

const PRINTK_EVENT = 'bpf_trace_printk';

function toRow(line: string): Row {
  const parsed = parseTraceLine(line);
  if (parsed.kind !== 'record') return [line];
  const message = parsed.event === PRINTK_EVENT || !parsed.event ? parsed.message : `${parsed.event}: ${parsed.message}`;
  return [parsed.timestamp, parsed.task, parsed.pid, parsed.cpu, message];
}

/** Lines the kernel reports as lost ("CPU:n [LOST m EVENTS]") in a batch; cheap enough for every line. */
function kernelLost(lines: readonly string[]): number {
  let lost = 0;
  for (const line of lines) {
    if (line.charCodeAt(0) !== 0x43 || !line.startsWith('CPU:')) continue;
    const parsed = parseTraceLine(line);
    if (parsed.kind === 'lost') lost += parsed.count;
  }
  return lost;
}

function traceSettings(): { maxRows: number; historyLines: number } {
  const section = vscode.workspace.getConfiguration('bpfdev.trace');
  return {
    maxRows: Math.min(100_000, Math.max(100, section.get<number>('maxRows', 5000))),
    historyLines: Math.min(1_000_000, Math.max(1000, section.get<number>('historyLines', 100_000))),
  };
}

export class TraceView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view?: vscode.WebviewView;
  private pageReady = false;
  private history = new LineHistory(traceSettings().historyLines);
  private lost = 0;
  private skipped = 0;
  private paused = false;
  /** A message to the page awaits its acknowledgement; lines meanwhile wait in `pending`. */
  private inFlight = false;
  private shownRows = 0;
  private pending: string[] = [];
  private readonly knownRuns = new Map<number, ActiveRun>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly tables = new EventTables((message) => this.post(message), traceSettings);

  constructor(private readonly context: vscode.ExtensionContext, private readonly runs: RunManager, private readonly log: Log) {
    this.disposables.push(
      vscode.window.registerWebviewViewProvider(TRACE_VIEW_ID, this),
      runs.onTraceBatch((batch) => this.onBatch(batch)),
      runs.onEventBatch((batch) => this.tables.onBatch(batch)),
      runs.onDidChange(() => this.onRunsChanged()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('bpfdev.trace.historyLines')) { this.resize(); this.tables.resize(traceSettings().historyLines); }
        if (event.affectsConfiguration('bpfdev.trace.maxRows')) this.resetPage();
      }),
      vscode.commands.registerCommand('bpfdev.showTrace', () => this.reveal(false)),
      vscode.commands.registerCommand('bpfdev.trace.clear', () => this.clear()),
      vscode.commands.registerCommand('bpfdev.trace.save', (target?: vscode.Uri) => this.save(target)),
      vscode.commands.registerCommand('bpfdev.trace.togglePause', () => this.togglePause()),
      // The events table's actions, also for tests and keybindings: the page calls the same code.
      vscode.commands.registerCommand('bpfdev.trace.filterEvents', (map: string, text: string) => this.tables.setFilter(map, text)),
      vscode.commands.registerCommand('bpfdev.trace.saveEvents', (map: string, target?: vscode.Uri, format?: 'jsonl' | 'csv') => this.tables.save(map, format, target)),
      vscode.commands.registerCommand('bpfdev.trace.decodeAs', (map?: string, typeName?: string) => this.decodeAs(map, typeName)),
      vscode.commands.registerCommand('bpfdev.trace.showEvents', async (map: string | null) => { await this.reveal(false); this.tables.select(map); return this.state(); }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.pageReady = false;
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    this.updateTitle();
    const subscriptions = [
      view.webview.onDidReceiveMessage((message: FromPage) => this.onMessage(message)),
      // A hidden view's page is gone; when it comes back it asks for the kept rows again.
      view.onDidChangeVisibility(() => { if (!view.visible) this.pageGone(); }),
    ];
    view.onDidDispose(() => {
      subscriptions.forEach((subscription) => subscription.dispose());
      if (this.view === view) this.view = undefined;
      this.pageGone();
    });
  }

  /** Shows the view; `keepEditorFocus` when a run starts, so typing in the editor goes on. */
  async reveal(keepEditorFocus: boolean): Promise<TraceViewState> {
    if (this.view) this.view.show(keepEditorFocus);
    else {
      const editor = vscode.window.activeTextEditor;
      await vscode.commands.executeCommand(`${TRACE_VIEW_ID}.focus`);
      if (keepEditorFocus && editor) await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
    }
    return this.state();
  }

  state(): TraceViewState {
    return {
      visible: this.view?.visible ?? false,
      pageReady: this.pageReady,
      shownRows: this.pageReady ? this.shownRows : 0,
      title: this.title(),
      total: this.history.total,
      dropped: this.lost + this.skipped,
      lost: this.lost,
      skipped: this.skipped,
      kept: this.history.length,
      paused: this.paused,
      events: this.tables.state(),
    };
  }

  dispose(): void {
    this.disposables.forEach((disposable) => disposable.dispose());
  }

  private counters(): Counters {
    return { total: this.history.total, lost: this.lost, skipped: this.skipped, paused: this.paused };
  }

  private pageGone(): void {
    this.tables.pageGone();
    this.pageReady = false;
    this.inFlight = false;
    this.pending = [];
  }

  private onBatch(batch: TraceBatch): void {
    this.lost += batch.dropped + kernelLost(batch.lines);
    this.history.push(batch.lines);
    if (!this.pageReady || !this.view?.visible) return;
    if (this.paused) {
      // Counters keep moving while paused so the user sees that lines still arrive.
      this.sendRows();
      return;
    }
    const { maxRows } = traceSettings();
    // Only the newest maxRows can end up on the page: anything older in the queue is skipped now.
    this.pending = this.pending.concat(batch.lines);
    if (this.pending.length > maxRows) {
      this.skipped += this.pending.length - maxRows;
      this.pending = this.pending.slice(-maxRows);
    }
    this.sendRows();
  }

  /** Sends what is pending unless the page is still drawing the previous message. */
  private sendRows(): void {
    if (this.inFlight || !this.pageReady) return;
    const lines = this.paused ? [] : this.pending;
    this.pending = this.paused ? this.pending : [];
    this.inFlight = true;
    void this.post({ type: 'rows', rows: lines.map(toRow), counters: this.counters() }).then((delivered) => {
      if (!delivered) this.inFlight = false;
    });
  }

  private onRunsChanged(): void {
    const current = new Map(this.runs.list().map((run) => [run.id, run]));
    for (const [id, run] of current) {
      if (this.knownRuns.has(id)) continue;
      this.knownRuns.set(id, run);
      this.notice(`▶ ${path.basename(run.file)} on ${run.target}`, 'info');
      run.session.on('event', (event) => {
        if (event.event === 'trace-busy' || event.event === 'trace-unavailable') {
          this.notice(`${path.basename(run.file)}: ${String((event as { reason?: unknown }).reason)}`, 'warning');
        } else if (event.event === 'attach-failed') {
          const failed = event as { name?: string; reason?: string };
          this.notice(`${failed.name}: not attached: ${failed.reason}`, 'warning');
        }
      });
      void this.reveal(true).catch((error: unknown) => this.log.warn(`cannot show the trace view: ${String(error)}`));
    }
    for (const [id, run] of this.knownRuns) {
      if (current.has(id)) continue;
      this.knownRuns.delete(id);
      this.notice(`■ ${path.basename(run.file)} on ${run.target} stopped; its programs are detached`, 'info');
    }
    this.updateTitle();
  }

  /** "Decode as…": asks for the map (when not given) and the C type name, e.g. `struct event`. */
  async decodeAs(map?: string, typeName?: string): Promise<string[] | undefined> {
    // The maps that sent records; before any did, the user names one.
    const maps = Object.keys(this.tables.state());
    map ??= maps.length === 1 ? maps[0] : maps.length ? await vscode.window.showQuickPick(maps, { title: 'Decode the records of which map?' })
      : await vscode.window.showInputBox({ title: 'Decode the records of which map?', prompt: 'The name of a ring buffer or perf event array of the running program' });
    if (!map) return undefined;
    typeName ??= await vscode.window.showInputBox({ title: `Decode ${map} as`, prompt: 'A type of the program: struct event, event_t, …', placeHolder: 'struct event' });
    if (!typeName) return undefined;
    const notes = await this.runs.decodeAs(map, typeName);
    this.tables.retyped(map);
    for (const note of notes) this.log.info(note);
    this.notice(`${map}: decoded as ${typeName} from now on${notes.length ? ` (${notes.join('; ')})` : ''}`, 'info');
    return notes;
  }

  private title(): string {
    const names = [...new Set(this.runs.list().map((run) => path.basename(run.file)))];
    return names.length ? `eBPF Trace: ${names.join(', ')}` : 'eBPF Trace';
  }

  private updateTitle(): void {
    if (!this.view) return;
    this.view.title = this.title();
    const hosts = [...new Set(this.runs.list().map((run) => run.target))];
    this.view.description = hosts.length ? `on ${hosts.join(', ')}` : undefined;
    // A panel that holds one view shows its container's name in the tab, so the page names the programs too.
    const names = [...new Set(this.runs.list().map((run) => path.basename(run.file)))];
    if (this.pageReady) {
      void this.post({ type: 'title', text: names.join(', ') || 'nothing running', detail: hosts.length ? `on ${hosts.join(', ')}` : 'Run on Target starts a program' });
    }
  }

  private notice(text: string, level: 'info' | 'warning'): void {
    if (this.pageReady) void this.post({ type: 'notice', text, level });
  }

  private onMessage(message: FromPage): void {
    switch (message.type) {
      case 'ready': this.pageReady = true; this.inFlight = false; this.resetPage(); this.tables.pageLoaded(); this.updateTitle(); break;
      case 'ack':
        this.inFlight = false;
        this.shownRows = message.rows;
        if (this.pending.length) this.sendRows();
        break;
      case 'clear': this.clear(); break;
      case 'save': void this.save(); break;
      case 'pause': this.togglePause(); break;
      default: void this.tables.onMessage(message);
    }
  }

  private resetPage(): void {
    if (!this.pageReady) return;
    const { maxRows } = traceSettings();
    // The reset carries the newest kept lines, which include whatever was pending.
    this.pending = [];
    this.inFlight = true;
    void this.post({ type: 'reset', rows: this.history.newest(maxRows).map(toRow), maxRows, paused: this.paused, counters: this.counters() }).then((delivered) => {
      if (!delivered) this.inFlight = false;
    });
  }

  private resize(): void {
    this.history = this.history.withCapacity(traceSettings().historyLines);
  }

  clear(): TraceViewState {
    this.history.clear();
    this.lost = 0;
    this.skipped = 0;
    this.tables.clear();
    this.resetPage();
    return this.state();
  }

  togglePause(): TraceViewState {
    this.paused = !this.paused;
    // Resuming shows the newest lines, including those that came while paused.
    this.resetPage();
    return this.state();
  }

  /** Writes every kept line to a file (asked for when not given); resolves where, or undefined if cancelled. */
  async save(target?: vscode.Uri): Promise<{ path: string; lines: number } | undefined> {
    const lines = this.history.newest();
    if (lines.length === 0) {
      void vscode.window.showInformationMessage('eBPF: the trace is empty — run a program with "eBPF: Run on Target" first.');
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const uri = target ?? await vscode.window.showSaveDialog({
      title: 'Save the eBPF trace',
      defaultUri: folder ? vscode.Uri.joinPath(folder, `trace-${stamp}.txt`) : undefined,
      filters: { 'Text files': ['txt', 'log'] },
    });
    if (!uri) return undefined;
    try {
      await fs.writeFile(uri.fsPath, lines.join('\n') + '\n');
    } catch (error) {
      void vscode.window.showErrorMessage(`eBPF: cannot save the trace to ${uri.fsPath}: ${(error as Error).message} — pick a writable location.`);
      return undefined;
    }
    const cut = this.history.total - lines.length;
    if (!target) {
      void vscode.window.showInformationMessage(`eBPF: saved ${lines.length} trace lines to ${vscode.workspace.asRelativePath(uri)}` +
        (cut > 0 ? ` (the ${cut} oldest were no longer kept; raise bpfdev.trace.historyLines to keep more)` : ''));
    }
    return { path: uri.fsPath, lines: lines.length };
  }

  private post(message: ToPage | EventsToPage): Thenable<boolean> {
    return this.view ? this.view.webview.postMessage(message) : Promise.resolve(false);
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    return webviewPage(webview, media, {
      title: 'eBPF Trace', styles: ['trace-view.css'], scripts: ['trace-view.js', 'event-tables.js'],
      body: `<div id="tabs" class="tabs" role="tablist" hidden><button id="tab-trace" class="tab selected" role="tab" data-map="">trace_pipe</button></div>
<div id="trace-pane" class="pane">
<div class="toolbar" role="toolbar">
  <span id="title" class="title"></span>
  <input id="filter" type="text" placeholder="Filter (text, or /regex/)" aria-label="Filter trace lines">
  <button id="pause" title="Pause the view (lines keep being received)">Pause</button>
  <button id="clear" title="Clear the view and the kept lines">Clear</button>
  <button id="save" title="Save the kept lines to a file">Save…</button>
  <span id="status" class="status" aria-live="polite"></span>
</div>
<div id="scroller" class="scroller">
  <table>
    <thead><tr><th class="time">time</th><th class="task">task</th><th class="pid">pid</th><th class="cpu">cpu</th><th>message</th></tr></thead>
    <tbody id="rows"></tbody>
  </table>
  <p id="empty" class="empty">No trace lines yet. Programs print here with bpf_printk(); start one with “eBPF: Run on Target”.</p>
</div>
</div>
<div id="events-pane" class="pane" hidden>
<div class="toolbar" role="toolbar">
  <span id="ev-title" class="title"></span>
  <input id="ev-filter" type="text" placeholder="pid == 1234 && comm ~ /ssh/" aria-label="Filter the records by field">
  <button id="ev-decode-as" title="Read this map's records as another type of the program">Decode as…</button>
  <button id="ev-save-jsonl" title="Save the kept records that match the filter as JSON Lines">Save JSONL…</button>
  <button id="ev-save-csv" title="Save the kept records that match the filter as CSV">Save CSV…</button>
  <span id="ev-status" class="status" aria-live="polite"></span>
</div>
<div id="ev-error" class="filter-error" hidden></div>
<div id="ev-scroller" class="scroller">
  <table><thead><tr id="ev-head"></tr></thead><tbody id="ev-rows"></tbody></table>
</div>
</div>`,
    });
  }
}

export function registerTraceView(context: vscode.ExtensionContext, runs: RunManager, log: Log): TraceView {
  const view = new TraceView(context, runs, log);
  context.subscriptions.push(view);
  return view;
}
