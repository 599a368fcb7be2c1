/**
 * "eBPF: Configure clangd for eBPF": makes clangd (vscode-clangd, or any clangd-based editor)
 * understand .bpf.c files the way bpfdev compiles them, so it stops reporting false errors:
 * a fragment of the workspace's `.clangd` applies `--target=bpf`, `-D__TARGET_ARCH_<arch>` of
 * the selected target, our bpf-headers and the directory of that target's generated vmlinux.h
 * to `*.bpf.c` files only. The fragment sits between marker comments, so running the command
 * again replaces it and whatever else the file holds stays as it was.
 *
 * vmlinux.h (tens of MB of types) is kept out of clangd's background index by skipping the
 * background index for .bpf.c translation units (open files are still indexed, so completion
 * and navigation work), and a `.clangd` next to the generated header silences diagnostics in it.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bpfHeadersDir } from '../../../host/src/paths';
import { bpfTargetArch } from '../../../host/src/target';
import { vmlinuxIncludeDir } from '../../../host/src/vmlinux';
import { settingsFor } from '../config';
import type { TargetManager } from '../targets/target-manager';

const BEGIN = '# >>> bpfdev: written by "eBPF: Configure clangd for eBPF"; running it again replaces this block';
const END = '# <<< bpfdev';

/** A YAML single-quoted scalar: no escapes but the doubled quote. */
function yamlQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The .clangd fragment for BPF files, between its markers. */
export function clangdBlock(flags: string[], options: { backgroundIndex: boolean }): string {
  return [
    BEGIN,
    '---',
    'If:',
    `  PathMatch: ${yamlQuote('.*\\.bpf\\.c')}`,
    'CompileFlags:',
    '  Add:',
    ...flags.map((flag) => `    - ${yamlQuote(flag)}`),
    ...(options.backgroundIndex ? [] : ['Index:', '  Background: Skip']),
    END,
  ].join('\n');
}

/**
 * The new text of a .clangd: the block replaces an earlier bpfdev block, or is appended as a
 * document of its own; the user's documents before and after it are kept byte for byte.
 */
export function mergeClangdConfig(existing: string | undefined, block: string): string {
  if (!existing || !existing.trim()) return `${block}\n`;
  const start = existing.indexOf(BEGIN);
  const end = start >= 0 ? existing.indexOf(END, start) : -1;
  if (start >= 0 && end >= 0) {
    const before = existing.slice(0, start);
    let after = existing.slice(end + END.length).replace(/^\n/, '');
    // Whatever follows must not become part of our document.
    const meaningful = after.split('\n').find((line) => line.trim() && !line.trim().startsWith('#'));
    if (meaningful !== undefined && !meaningful.startsWith('---')) after = `---\n${after}`;
    return `${before}${block}\n${after}`;
  }
  return `${existing}${existing.endsWith('\n') ? '' : '\n'}${block}\n`;
}

/** For the directory holding a generated vmlinux.h: never report problems in it. */
const VMLINUX_CLANGD = [
  '# Written by bpfdev: vmlinux.h is generated from the kernel\'s BTF; problems in it are not yours to fix.',
  'Diagnostics:',
  "  Suppress: '*'",
  'Index:',
  '  Background: Skip',
  '',
].join('\n');

export interface ClangdConfigured {
  path: string;
  flags: string[];
}

export function registerConfigureClangdCommand(context: vscode.ExtensionContext, targets: TargetManager): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.configureClangd', async (folderUri?: vscode.Uri): Promise<ClangdConfigured | undefined> => {
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = folderUri
      ?? (active ? vscode.workspace.getWorkspaceFolder(active)?.uri : undefined)
      ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) {
      void vscode.window.showErrorMessage('eBPF: open the folder of your eBPF project first; .clangd is written at its root.');
      return undefined;
    }
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'eBPF: configuring clangd' }, async (progress) => {
        progress.report({ message: 'reading the target\'s BTF' });
        const target = await targets.ready();
        const [arch, vmlinux] = await Promise.all([target.arch(), vmlinuxIncludeDir(target)]);
        const flags = [
          '--target=bpf',
          `-D__TARGET_ARCH_${bpfTargetArch(arch)}`,
          `-I${bpfHeadersDir()}`,
          `-I${vmlinux.dir}`,
          ...settingsFor(folder).extraCflags,
        ];
        const backgroundIndex = vscode.workspace.getConfiguration('bpfdev.clangd', folder).get<boolean>('backgroundIndex', false);
        const file = path.join(folder.fsPath, '.clangd');
        const existing = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        });
        await fs.writeFile(file, mergeClangdConfig(existing, clangdBlock(flags, { backgroundIndex })));
        await fs.writeFile(path.join(vmlinux.dir, '.clangd'), VMLINUX_CLANGD);
        void vscode.window.showInformationMessage(
          `eBPF: ${existing === undefined ? 'wrote' : 'updated'} ${vscode.workspace.asRelativePath(file)} for ${target.name} (${arch}). ` +
          'If clangd is running, restart it (clangd: Restart language server) to apply it.');
        return { path: file, flags };
      });
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      void vscode.window.showErrorMessage(`eBPF: cannot configure clangd: ${(error as Error).message}${hint ? ` — ${hint}` : ' — check the target with "eBPF: Show Host Report"'}`);
      return undefined;
    }
  }));
}
