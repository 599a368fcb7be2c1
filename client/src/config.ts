/** Typed access to the `bpfdev.*` settings declared in package.json. */
import * as vscode from 'vscode';
import { BpfdevSettings, DEFAULT_SETTINGS } from '../../protocol/src/protocol';

export function settingsFor(resource?: vscode.Uri): BpfdevSettings {
  const section = vscode.workspace.getConfiguration('bpfdev', resource);
  return {
    files: section.get('files', DEFAULT_SETTINGS.files),
    clangPath: section.get('clangPath', DEFAULT_SETTINGS.clangPath),
    extraCflags: section.get('extraCflags', DEFAULT_SETTINGS.extraCflags),
    verifyOnSave: section.get('verifyOnSave', DEFAULT_SETTINGS.verifyOnSave),
    compileOnTarget: section.get('compileOnTarget', DEFAULT_SETTINGS.compileOnTarget),
  };
}

/** Globs that select BPF C files: `**\/*.bpf.c` always, plus the user's. */
export function bpfFilePatterns(): string[] {
  return ['**/*.bpf.c', ...settingsFor().files];
}

export function isBpfDocument(document: vscode.TextDocument): boolean {
  return bpfFilePatterns().some((pattern) => vscode.languages.match({ pattern, scheme: 'file' }, document) > 0);
}
