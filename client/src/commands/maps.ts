/**
 * Commands of the Maps view: "Show as Text" opens a map as a read-only document (histograms
 * drawn the way bpftrace prints them), "Refresh" reads every run's maps now.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MapDump } from '../../../core/src/trace/map-dump';
import { renderMapText } from '../../../core/src/trace/map-values';
import type { MapsNode, MapsView, RunMaps } from '../views/maps-view';

/** What `bpfdev.refreshMaps` resolves: each run's maps as text, for tests and scripts. */
export interface MapsSnapshot {
  file: string;
  target: string;
  error?: string;
  maps: { name: string; type?: string; entries: number; text: string }[];
}

function snapshot(state: RunMaps): MapsSnapshot {
  const btf = state.btf ?? undefined;
  return {
    file: state.run.file,
    target: state.run.target,
    ...(state.error ? { error: state.error } : {}),
    maps: (state.dump?.maps ?? []).map((map) => ({ name: map.name, type: map.type, entries: map.entries.length, text: renderMapText(map, btf) })),
  };
}

async function pickMap(view: MapsView): Promise<{ state: RunMaps; map: MapDump } | undefined> {
  const states = await view.refreshAll();
  const items = states.flatMap((state) => (state.dump?.maps ?? []).map((map) => ({
    label: map.name, description: `${map.type} · ${path.basename(state.run.file)} on ${state.run.target}`, state, map,
  })));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('eBPF: no maps to show — run a program that declares maps with "eBPF: Run on Target".');
    return undefined;
  }
  return vscode.window.showQuickPick(items, { title: 'Show which map?' });
}

export function registerMapsCommands(context: vscode.ExtensionContext, view: MapsView): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('bpfdev.refreshMaps', async (): Promise<MapsSnapshot[]> => (await view.refreshAll()).map(snapshot)),
    vscode.commands.registerCommand('bpfdev.showMapText', async (node?: MapsNode) => {
      const picked = node?.kind === 'map' ? { state: node.state, map: node.map } : await pickMap(view);
      if (!picked) return undefined;
      // The newest values, not those of the moment the tree was drawn.
      await view.refreshAll();
      const map = view.state(picked.state.run.id)?.dump?.maps.find((candidate) => candidate.name === picked.map.name) ?? picked.map;
      const text = renderMapText(map, picked.state.btf ?? undefined);
      const document = await vscode.workspace.openTextDocument({ content: `${text}\n`, language: 'plaintext' });
      await vscode.window.showTextDocument(document, { preview: true });
      return text;
    }),
  );
}
