/**
 * "eBPF: List Knobs": the `const volatile` / .data / .bss globals of a program a run can set,
 * with their types, in a quick pick; picking one puts it into the `knobs` of the file's
 * `bpfdev` run configuration (launch.json), so F5 runs with it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compileForTarget } from '../../../host/src/compile';
import { readKnobs } from '../../../host/src/knobs';
import { compactValue } from '../../../core/src/events/record';
import { isBpfDocument } from '../config';
import { compileOptionsFor } from '../commands/run';
import type { TargetManager } from '../targets/target-manager';
import { DEBUG_TYPE } from './run-configuration';

export interface KnobInfo {
  name: string;
  /** C spelling of the type, e.g. `unsigned long long`, `char[16]`, `enum mode`. */
  type: string;
  /** `.rodata`, `.data` or `.bss`. */
  section: string;
  /** The value compiled in. */
  value?: string;
  /** What a value may be: `integer 0..255`, `true|false`, `text, at most 15 bytes`. */
  accepts: string;
  /** Why it cannot be set from launch.json, when it cannot. */
  notSettable?: string;
}

/** The one call into the knob listing: the same reader as `bpfdev knobs FILE` (core/src/knobs). */
export async function listKnobs(objectPath: string): Promise<KnobInfo[]> {
  const { knobs, errors } = await readKnobs(objectPath);
  if (!knobs.length && errors.length) throw new Error(errors.join('; '));
  return knobs.map((knob) => ({
    name: knob.name, type: knob.type, section: knob.section, accepts: knob.accepts,
    ...(knob.value !== undefined ? { value: compactValue(knob.value) } : {}),
    ...(knob.settable ? {} : { notSettable: knob.reason ?? knob.accepts }),
  }));
}

async function compiledObject(file: vscode.Uri, targets: TargetManager): Promise<string> {
  const compiled = await compileForTarget(file.fsPath, await targets.ready(), compileOptionsFor(file));
  if (!compiled.ok) throw new Error('the file does not compile: see the Problems panel');
  return compiled.objectPath;
}

/** Adds or updates `knobs.NAME` in the first `bpfdev` configuration of the file (creating one if none). */
async function setKnobInLaunch(file: vscode.Uri, name: string, value: string): Promise<void> {
  const folder = vscode.workspace.getWorkspaceFolder(file);
  const launch = vscode.workspace.getConfiguration('launch', folder?.uri);
  const configurations = [...(launch.get<vscode.DebugConfiguration[]>('configurations') ?? [])];
  const relative = folder ? `\${workspaceFolder}/${path.relative(folder.uri.fsPath, file.fsPath)}` : file.fsPath;
  let index = configurations.findIndex((config) => config.type === DEBUG_TYPE && (config.program === relative || config.program === file.fsPath));
  if (index < 0) {
    configurations.push({ type: DEBUG_TYPE, request: 'launch', name: `Run ${path.basename(file.fsPath)}`, program: relative, knobs: {} });
    index = configurations.length - 1;
  }
  const config = configurations[index]!;
  const numeric = /^-?(\d+|0x[0-9a-f]+)$/i.test(value) && Number.isSafeInteger(Number(value));
  configurations[index] = { ...config, knobs: { ...(config.knobs as object | undefined), [name]: numeric ? Number(value) : value === 'true' || value === 'false' ? value === 'true' : value } };
  await launch.update('configurations', configurations, folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Global);
}

export function registerKnobsCommand(context: vscode.ExtensionContext, targets: TargetManager): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.listKnobs', async (target?: vscode.Uri | string): Promise<KnobInfo[] | undefined> => {
    const uri = typeof target === 'string' ? vscode.Uri.parse(target) : target ?? vscode.window.activeTextEditor?.document.uri;
    const document = uri ? await vscode.workspace.openTextDocument(uri) : undefined;
    if (!document || !isBpfDocument(document)) {
      void vscode.window.showErrorMessage('eBPF: open a .bpf.c file to list its knobs.');
      return undefined;
    }
    let knobs: KnobInfo[];
    try {
      knobs = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'eBPF: reading knobs' },
        async () => listKnobs(await compiledObject(document.uri, targets)));
    } catch (error) {
      void vscode.window.showErrorMessage(`eBPF: cannot list the knobs of ${path.basename(document.fileName)}: ${(error as Error).message}`);
      return undefined;
    }
    // Tests and other callers get the list; a person gets the picker.
    if (typeof target === 'string' || target) return knobs;
    if (!knobs.length) {
      void vscode.window.showInformationMessage(`eBPF: ${path.basename(document.fileName)} has no const volatile, .data or .bss globals to set.`);
      return knobs;
    }
    const picked = await vscode.window.showQuickPick(knobs.filter((knob) => !knob.notSettable).map((knob) => ({
      label: knob.name, description: knob.type, detail: `${knob.section} · ${knob.accepts}${knob.value !== undefined ? ` · compiled in: ${knob.value}` : ''}`, knob,
    })), { title: `Knobs of ${path.basename(document.fileName)}: pick one to set it for F5`, matchOnDescription: true });
    if (!picked) return knobs;
    const value = await vscode.window.showInputBox({
      title: `${picked.knob.name} (${picked.knob.type})`, prompt: `Value for the run configuration: ${picked.knob.accepts}`,
      ...(picked.knob.value !== undefined ? { value: picked.knob.value } : {}),
    });
    if (value === undefined) return knobs;
    await setKnobInLaunch(document.uri, picked.knob.name, value);
    void vscode.window.showInformationMessage(`eBPF: F5 runs ${path.basename(document.fileName)} with ${picked.knob.name}=${value} (launch.json).`);
    return knobs;
  }));
}
