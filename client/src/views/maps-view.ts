/**
 * The "Maps" view: the maps of every running program with their live values, read through the
 * loader's `maps` command (RunSession.dumpMaps) every `bpfdev.maps.refreshInterval` ms while the
 * view is visible, and decoded with the object's BTF. Maps that hold log2 histograms show one
 * row per slot with a bar; globals (.bss/.data/.rodata) show their variables.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseBtf } from '../../../core/src/btf/reader';
import type { Btf } from '../../../core/src/btf/reader';
import { log2HistogramRows } from '../../../core/src/trace/histogram';
import { hexToBytes, MapDump, MapsEvent } from '../../../core/src/trace/map-dump';
import { datasecVariables, formatMapEntries, histogramShape, isDatasec, mapHistograms } from '../../../core/src/trace/map-values';
import type { Log } from '../log';
import type { ActiveRun, RunManager } from '../trace/run-manager';

export const MAPS_VIEW_ID = 'bpfdev.maps';
const BAR_WIDTH = 24;

/** Per run: the object's BTF once read, the last dump, or why there is none. */
export interface RunMaps {
  run: ActiveRun;
  btf?: Btf | null;
  dump?: MapsEvent;
  error?: string;
  reading?: Promise<void>;
  updatedAt?: Date;
}

export type MapsNode =
  | { kind: 'run'; state: RunMaps }
  | { kind: 'map'; state: RunMaps; map: MapDump }
  | { kind: 'histogram'; state: RunMaps; map: MapDump; key: string; counts: number[] }
  | { kind: 'line'; id: string; label: string; description?: string; tooltip?: string; icon?: string; problem?: boolean };

export function mapsSettings(): { refreshIntervalMs: number; maxEntries: number } {
  const section = vscode.workspace.getConfiguration('bpfdev.maps');
  return {
    refreshIntervalMs: Math.max(250, section.get<number>('refreshInterval', 1000)),
    maxEntries: Math.min(65_536, Math.max(1, section.get<number>('maxEntries', 256))),
  };
}

function histogramLines(idPrefix: string, counts: number[]): MapsNode[] {
  const rows = log2HistogramRows(counts, { width: BAR_WIDTH, fill: '█' });
  if (rows.length === 0) return [{ kind: 'line', id: `${idPrefix}:empty`, label: 'all slots are empty' }];
  return rows.map((row) => ({
    kind: 'line', id: `${idPrefix}:${row.slot}`, label: row.label,
    description: `${row.count}  ${row.bar.trimEnd()}`, tooltip: `${row.label}: ${row.count}`,
  }));
}

export class MapsView implements vscode.TreeDataProvider<MapsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MapsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly states = new Map<number, RunMaps>();
  private readonly runNodes = new Map<number, MapsNode>();
  private timer?: NodeJS.Timeout;
  private visible = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly runs: RunManager, private readonly log: Log) {
    this.disposables.push(this.changed, runs.onDidChange(() => this.syncRuns()));
  }

  /** Polls only while someone looks: a hidden view costs the target nothing. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.schedule();
    if (visible) void this.refreshAll();
  }

  /** Reads every run's maps now; resolves when all answered (or failed). */
  async refreshAll(): Promise<RunMaps[]> {
    this.syncRuns();
    await Promise.all([...this.states.values()].map((state) => this.read(state)));
    return [...this.states.values()];
  }

  state(runId: number): RunMaps | undefined {
    return this.states.get(runId);
  }

  getTreeItem(node: MapsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const { run, dump, error, updatedAt } = node.state;
        const item = new vscode.TreeItem(path.basename(run.file), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `maps-run:${run.id}`;
        item.description = error ? 'maps not readable' : dump ? `${dump.maps.length} maps · ${run.target}` : `reading… · ${run.target}`;
        item.tooltip = error ?? `${run.file} on ${run.target}${updatedAt ? `\nread at ${updatedAt.toLocaleTimeString()}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(error ? 'warning' : 'debug-start');
        return item;
      }
      case 'map': {
        const { map, state } = node;
        const btf = state.btf ?? undefined;
        const histogram = histogramShape(map, btf);
        const item = new vscode.TreeItem(map.name, map.error && map.entries.length === 0 ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `maps-map:${state.run.id}:${map.name}`;
        const count = `${map.entries.length}${map.truncated ? '+' : ''} entr${map.entries.length === 1 ? 'y' : 'ies'}`;
        item.description = map.error && map.entries.length === 0 ? `${map.type} · not dumped` : histogram ? `${map.type} · log2 histogram` : `${map.type} · ${count}`;
        item.tooltip = [
          `${map.name}: ${map.type}, key ${map.keySize} B, value ${map.valueSize} B, max ${map.maxEntries} entries${map.percpu ? `, per CPU (${map.cpus})` : ''}`,
          map.id ? `kernel map id ${map.id}` : undefined,
          map.error,
          map.truncated ? 'More entries than shown: raise bpfdev.maps.maxEntries to read more.' : undefined,
        ].filter(Boolean).join('\n');
        item.iconPath = new vscode.ThemeIcon(histogram ? 'graph' : isDatasec(btf, map.btfValueTypeId ?? 0) ? 'symbol-variable' : 'symbol-array');
        item.contextValue = 'bpfdev.map';
        return item;
      }
      case 'histogram': {
        const item = new vscode.TreeItem(node.key, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `maps-hist:${node.state.run.id}:${node.map.name}:${node.key}`;
        item.description = `${node.counts.reduce((sum, count) => sum + count, 0)} samples`;
        item.iconPath = new vscode.ThemeIcon('graph');
        return item;
      }
      case 'line': {
        const item = new vscode.TreeItem(node.label);
        item.id = node.id;
        item.description = node.description;
        item.tooltip = node.tooltip ?? (node.description ? `${node.label}: ${node.description}` : node.label);
        if (node.icon || node.problem) item.iconPath = new vscode.ThemeIcon(node.problem ? 'warning' : node.icon!);
        return item;
      }
    }
  }

  getChildren(node?: MapsNode): MapsNode[] {
    if (!node) {
      this.syncRuns();
      return [...this.states.keys()].map((id) => this.runNodes.get(id)!);
    }
    switch (node.kind) {
      case 'run': {
        const { state } = node;
        if (state.error) return [{ kind: 'line', id: `maps-error:${state.run.id}`, label: state.error, problem: true }];
        return (state.dump?.maps ?? []).map((map) => ({ kind: 'map', state, map }));
      }
      case 'map': return this.mapChildren(node.state, node.map);
      case 'histogram': return histogramLines(`maps-hist:${node.state.run.id}:${node.map.name}:${node.key}`, node.counts);
      default: return [];
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.disposables.forEach((disposable) => disposable.dispose());
  }

  private mapChildren(state: RunMaps, map: MapDump): MapsNode[] {
    const btf = state.btf ?? undefined;
    const prefix = `maps-entry:${state.run.id}:${map.name}`;
    const children: MapsNode[] = [];
    if (map.error) children.push({ kind: 'line', id: `${prefix}:error`, label: map.error, problem: true });
    const shape = histogramShape(map, btf);
    if (shape?.kind === 'slot-keyed') return [...children, ...histogramLines(prefix, mapHistograms(map, shape, btf)[0]!.counts)];
    if (shape?.kind === 'slots-array') {
      return [...children, ...mapHistograms(map, shape, btf).map((histogram) => ({ kind: 'histogram' as const, state, map, key: histogram.key ?? '?', counts: histogram.counts }))];
    }
    if (isDatasec(btf, map.btfValueTypeId ?? 0)) {
      for (const entry of map.entries) {
        for (const variable of datasecVariables(btf, map.btfValueTypeId!, hexToBytes(entry.value)) ?? []) {
          children.push({ kind: 'line', id: `${prefix}:${variable.key}`, label: variable.key, description: variable.value, icon: 'symbol-variable' });
        }
      }
      return children;
    }
    for (const entry of formatMapEntries(map, btf)) children.push({ kind: 'line', id: `${prefix}:${entry.key}`, label: entry.key, description: entry.value });
    if (map.truncated) children.push({ kind: 'line', id: `${prefix}:more`, label: 'more entries not read', description: 'raise bpfdev.maps.maxEntries', icon: 'ellipsis' });
    return children;
  }

  private syncRuns(): void {
    const live = new Set<number>();
    let changed = false;
    for (const run of this.runs.list()) {
      live.add(run.id);
      if (!this.states.has(run.id)) {
        changed = true;
        const state: RunMaps = { run };
        this.states.set(run.id, state);
        this.runNodes.set(run.id, { kind: 'run', state });
        if (this.visible) void this.read(state);
      }
    }
    for (const id of [...this.states.keys()]) {
      if (live.has(id)) continue;
      this.states.delete(id);
      this.runNodes.delete(id);
      changed = true;
    }
    if (changed) this.changed.fire(undefined);
    this.schedule();
  }

  private schedule(): void {
    const wanted = this.visible && this.states.size > 0;
    if (wanted && !this.timer) {
      this.timer = setInterval(() => void this.refreshAll(), mapsSettings().refreshIntervalMs);
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** One dump per run at a time: a slow target skips ticks rather than queueing them. */
  private read(state: RunMaps): Promise<void> {
    if (state.reading) return state.reading;
    const firstRead = state.btf === undefined;
    state.reading = (async () => {
      try {
        // Ready first: commands are only read once the loader waits for them.
        await state.run.session.ready;
        const dump = await state.run.session.dumpMaps({ maxEntries: mapsSettings().maxEntries, btf: firstRead });
        if (firstRead) state.btf = dump.btf ? parseBtf(hexToBytes(dump.btf)).btf : null;
        state.dump = dump;
        state.error = undefined;
        state.updatedAt = new Date();
      } catch (error) {
        if (!this.states.has(state.run.id)) return;
        state.error = `cannot read the maps: ${(error as Error).message} — stop and run the program again; the eBPF log has details`;
        this.log.warn(`maps of ${state.run.file}: ${(error as Error).message}`);
      } finally {
        state.reading = undefined;
      }
      const node = this.runNodes.get(state.run.id);
      if (node) this.changed.fire(node);
    })();
    return state.reading;
  }
}

export function registerMapsView(context: vscode.ExtensionContext, runs: RunManager, log: Log): MapsView {
  const provider = new MapsView(runs, log);
  const view = vscode.window.createTreeView(MAPS_VIEW_ID, { treeDataProvider: provider });
  provider.setVisible(view.visible);
  context.subscriptions.push(provider, view, view.onDidChangeVisibility((event) => provider.setVisible(event.visible)));
  return provider;
}
