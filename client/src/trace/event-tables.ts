/**
 * The event-map tables of the "eBPF Trace" view (issue #11): one table per ring buffer / perf
 * event array, the record's top-level fields as columns, with a field filter
 * (core/src/events/filter.ts) and Save as JSON Lines or CSV. Filtering happens here, not in the
 * page, so the page only ever draws rows that match, and the same parser serves the CLI.
 *
 * Memory stays bounded as for trace lines: each map keeps its newest `historyLines` records,
 * and the page is sent at most `maxRows` per message, one message in flight at a time.
 * Counts shown apart: `kernelLost` (the kernel could not deliver: perf lost samples) and
 * `viewDropped` (more arrived in one interval than the extension keeps: never in the table nor in
 * Save) and `notDrawn` (kept, and saved, but more came than the page draws).
 */
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { LineHistory } from '../../../core/src/trace/line-history';
import { parseFilter, FilterError, RecordFilter } from '../../../core/src/events/filter';
import { compactValue } from '../../../core/src/events/record';
import { toCsv, toJsonLines } from '../../../core/src/events/export';
import type { EventBatch, TimedRecord } from './run-manager';

export interface TableCounters { total: number; kept: number; kernelLost: number; viewDropped: number; notDrawn: number }

export type EventsToPage =
  | { type: 'ev-table'; map: string; columns: string[]; rows: string[][]; counters: TableCounters; filter: string; filterError?: FilterError }
  | { type: 'ev-rows'; tables: { map: string; rows: string[][]; counters: TableCounters }[] }
  | { type: 'ev-select'; map: string | null }
  | { type: 'ev-clear' };

export type EventsFromPage =
  | { type: 'ev-ack'; shown: Record<string, number> }
  | { type: 'ev-filter'; map: string; text: string }
  | { type: 'ev-save'; map: string; format: 'jsonl' | 'csv' }
  | { type: 'ev-decode-as'; map: string };

/** One table's state as tests and `bpfdev.showTrace` see it. */
export interface EventTableState extends TableCounters {
  columns: string[];
  shownRows: number;
  filter: string;
  filterError?: string;
}

interface Table {
  name: string;
  columns: string[];
  history: LineHistory<TimedRecord>;
  kernelLost: number;
  viewDropped: number;
  notDrawn: number;
  filterText: string;
  filter?: RecordFilter;
  filterError?: FilterError;
  pending: TimedRecord[];
  shownRows: number;
  /** Counters moved since the page last heard: sent even without new rows. */
  dirty: boolean;
}

/** `16:02:11.045`: the local time of day with milliseconds, which is what a person compares. */
function timeOfDay(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * Records kept per map for Save and for redrawing under a new filter: as many as trace lines,
 * up to 50,000, since a decoded record weighs several times a line.
 */
function recordCapacity(historyLines: number): number {
  return Math.min(historyLines, 50_000);
}

export class EventTables {
  private readonly tables = new Map<string, Table>();
  private inFlight = false;
  private pageReady = false;

  constructor(
    private readonly post: (message: EventsToPage) => Thenable<boolean>,
    private readonly settings: () => { maxRows: number; historyLines: number },
  ) {}

  /** The page (re)loaded: it gets every table afresh. */
  pageLoaded(): void {
    this.pageReady = true;
    this.inFlight = false;
    for (const table of this.tables.values()) this.resetTable(table);
  }

  pageGone(): void {
    this.pageReady = false;
    this.inFlight = false;
    for (const table of this.tables.values()) { table.pending = []; table.shownRows = 0; }
  }

  onBatch(batch: EventBatch): void {
    const { maxRows } = this.settings();
    const grown = new Set<Table>();
    for (const [map, count] of batch.lost) { const table = this.table(map); table.kernelLost += count; table.dirty = true; }
    for (const [map, count] of batch.dropped) { const table = this.table(map); table.viewDropped += count; table.dirty = true; }
    for (const record of batch.records) {
      const table = this.table(record.map);
      table.history.push([record]);
      table.dirty = true;
      if (this.addColumns(table, record)) grown.add(table);
      if (table.filter && !table.filter.matches(record)) continue;
      table.pending.push(record);
    }
    for (const table of this.tables.values()) {
      // Only the newest maxRows can end up on the page: older pending records are never drawn.
      if (table.pending.length > maxRows) {
        table.notDrawn += table.pending.length - maxRows;
        table.pending = table.pending.slice(-maxRows);
      }
    }
    if (!this.pageReady) return;
    // A new column changes every row's cells: that table is sent whole.
    for (const table of grown) this.resetTable(table);
    this.send();
  }

  onMessage(message: EventsFromPage): Thenable<unknown> | void {
    switch (message.type) {
      case 'ev-ack':
        this.inFlight = false;
        for (const [map, shown] of Object.entries(message.shown)) { const table = this.tables.get(map); if (table) table.shownRows = shown; }
        this.send();
        return;
      case 'ev-filter': this.setFilter(message.map, message.text); return;
      case 'ev-save': return this.save(message.map, message.format);
      case 'ev-decode-as': return vscode.commands.executeCommand('bpfdev.trace.decodeAs', message.map);
    }
  }

  /** Sets a map's filter; the table is redrawn from the kept records that match. */
  setFilter(map: string, text: string): EventTableState | undefined {
    const table = this.tables.get(map);
    if (!table) return undefined;
    const parsed = parseFilter(text);
    table.filterText = text;
    table.filter = parsed.filter;
    table.filterError = parsed.error;
    this.resetTable(table);
    return this.tableState(table);
  }

  /** The map's records will be read as another type: what was kept was read as the old one, so it goes. */
  retyped(map: string): void {
    const table = this.tables.get(map);
    if (!table) return;
    table.columns = [];
    table.history.clear();
    table.pending = [];
    this.resetTable(table);
  }

  select(map: string | null): void {
    if (this.pageReady) void this.post({ type: 'ev-select', map });
  }

  clear(): void {
    this.tables.clear();
    if (this.pageReady) void this.post({ type: 'ev-clear' });
  }

  state(): Record<string, EventTableState> {
    return Object.fromEntries([...this.tables.values()].map((table) => [table.name, this.tableState(table)]));
  }

  /**
   * Writes a map's kept records that match its filter, as JSON Lines or CSV (by `format`, else
   * by the file's extension); asks where when `target` is not given.
   */
  async save(map: string, format?: 'jsonl' | 'csv', target?: vscode.Uri): Promise<{ path: string; records: number } | undefined> {
    const table = this.tables.get(map);
    const records = table ? this.matching(table) : [];
    if (!table || records.length === 0) {
      void vscode.window.showInformationMessage(`eBPF: no ${map} records to save${table?.filter ? ' that match the filter' : ''}.`);
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const uri = target ?? await vscode.window.showSaveDialog({
      title: `Save the ${map} records`,
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${map}-${stamp}.${format ?? 'jsonl'}`) : undefined,
      filters: format === 'csv' ? { CSV: ['csv'] } : { 'JSON Lines': ['jsonl', 'ndjson'], CSV: ['csv'] },
    });
    if (!uri) return undefined;
    const asCsv = format ? format === 'csv' : uri.path.toLowerCase().endsWith('.csv');
    try {
      await fs.writeFile(uri.fsPath, asCsv ? toCsv(records, table.columns.filter((column) => column !== 'raw')) : toJsonLines(records));
    } catch (error) {
      void vscode.window.showErrorMessage(`eBPF: cannot save the records to ${uri.fsPath}: ${(error as Error).message} — pick a writable location.`);
      return undefined;
    }
    if (!target) void vscode.window.showInformationMessage(`eBPF: saved ${records.length} ${map} records to ${vscode.workspace.asRelativePath(uri)}`);
    return { path: uri.fsPath, records: records.length };
  }

  resize(historyLines: number): void {
    for (const table of this.tables.values()) table.history = table.history.withCapacity(recordCapacity(historyLines));
  }

  private table(map: string): Table {
    let table = this.tables.get(map);
    if (!table) {
      table = {
        name: map, columns: [], history: new LineHistory<TimedRecord>(recordCapacity(this.settings().historyLines)), kernelLost: 0, viewDropped: 0, notDrawn: 0,
        filterText: '', pending: [], shownRows: 0, dirty: false,
      };
      this.tables.set(map, table);
      // A table the page has not seen yet: announce it before its first rows.
      if (this.pageReady) this.resetTable(table);
    }
    return table;
  }

  /** True when the record brought a field the table had no column for. */
  private addColumns(table: Table, record: TimedRecord): boolean {
    let grown = false;
    for (const name of Object.keys(record.fields)) {
      if (!table.columns.includes(name)) { table.columns.push(name); grown = true; }
    }
    if (record.raw !== undefined && !table.columns.includes('raw')) { table.columns.push('raw'); grown = true; }
    return grown;
  }

  private matching(table: Table): TimedRecord[] {
    const kept = table.history.newest();
    return table.filter ? kept.filter((record) => table.filter!.matches(record)) : kept;
  }

  private cells(table: Table, record: TimedRecord): string[] {
    // A ring buffer does not say which CPU wrote a record (the loader sends -1).
    return [timeOfDay(record.time), record.cpu < 0 ? '' : String(record.cpu), ...table.columns.map((column) => column === 'raw' && !(column in record.fields) ? record.raw ?? '' : compactValue(record.fields[column]))];
  }

  private counters(table: Table): TableCounters {
    return { total: table.history.total, kept: table.history.length, kernelLost: table.kernelLost, viewDropped: table.viewDropped, notDrawn: table.notDrawn };
  }

  private tableState(table: Table): EventTableState {
    return {
      ...this.counters(table), columns: [...table.columns], shownRows: this.pageReady ? table.shownRows : 0, filter: table.filterText,
      ...(table.filterError ? { filterError: `${table.filterError.message} (at ${table.filterError.offset + 1})` } : {}),
    };
  }

  private resetTable(table: Table): void {
    if (!this.pageReady) return;
    const rows = this.matching(table).slice(-this.settings().maxRows);
    table.pending = [];
    table.dirty = false;
    void this.post({
      type: 'ev-table', map: table.name, columns: ['time', 'cpu', ...table.columns], rows: rows.map((record) => this.cells(table, record)),
      counters: this.counters(table), filter: table.filterText, ...(table.filterError ? { filterError: table.filterError } : {}),
    });
  }

  private send(): void {
    if (this.inFlight || !this.pageReady) return;
    const tables = [...this.tables.values()].filter((table) => table.dirty);
    if (!tables.length) return;
    this.inFlight = true;
    const message: EventsToPage = {
      type: 'ev-rows',
      tables: tables.map((table) => ({ map: table.name, rows: table.pending.map((record) => this.cells(table, record)), counters: this.counters(table) })),
    };
    for (const table of tables) { table.pending = []; table.dirty = false; }
    void this.post(message).then((delivered) => { if (!delivered) this.inFlight = false; });
  }
}
