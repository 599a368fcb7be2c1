/**
 * "eBPF: New eBPF Program": copies one of the templates (templates/*.bpf.c) into the workspace,
 * with its function and map names derived from the new file's name, and opens it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface ProgramTemplate {
  id: string;
  file: string;
  label: string;
  detail: string;
  defaultName: string;
}

export const TEMPLATES: ProgramTemplate[] = [
  { id: 'tracepoint', file: 'tracepoint.bpf.c', label: 'Tracepoint', defaultName: 'count-execs', detail: 'A stable kernel event (syscalls/sys_enter_execve): counts exec() calls per process in a map.' },
  { id: 'kprobe', file: 'kprobe.bpf.c', label: 'Kprobe', defaultName: 'unlink-kprobe', detail: 'Entry and return of a kernel function (do_unlinkat). Needs a kernel with kprobes.' },
  { id: 'fentry', file: 'fentry.bpf.c', label: 'fentry / fexit', defaultName: 'unlink-fentry', detail: 'Entry and exit of a kernel function, typed from BTF. Needs BPF trampolines (see the host report).' },
  { id: 'uprobe', file: 'uprobe.bpf.c', label: 'Uprobe', defaultName: 'bash-readline', detail: 'A user-space function: prints every command line typed in bash (readline).' },
  { id: 'xdp', file: 'xdp.bpf.c', label: 'XDP', defaultName: 'count-packets', detail: 'Every packet of a network interface: counts IP protocols. Attached with ip link, not Run.' },
];

/** The name the templates use for their programs and maps. */
export const TEMPLATE_PLACEHOLDER = 'bpfdev_example';

/** A C identifier from a file name: `count-execs.bpf.c` -> `count_execs`. */
export function programIdentifier(fileName: string): string {
  const stem = path.basename(fileName).replace(/\.bpf\.c$/, '').replace(/\.c$/, '');
  const identifier = stem.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
  if (!identifier) return 'prog';
  return /^[0-9]/.test(identifier) ? `prog_${identifier}` : identifier;
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && vscode.workspace.getWorkspaceFolder(active)) return vscode.Uri.file(path.dirname(active.fsPath));
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0]!.uri;
  if (folders.length > 1) return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Where should the new program go?' }))?.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create the program here' });
  return picked?.[0];
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers the command. Arguments (optional, for scripts and tests): the template id and the
 * file to create; without them the user picks both.
 */
export function registerNewProgramCommand(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('bpfdev.newProgram', async (templateId?: string, target?: vscode.Uri) => {
    const template = templateId
      ? TEMPLATES.find((candidate) => candidate.id === templateId)
      : await vscode.window.showQuickPick(TEMPLATES.map((candidate) => ({ ...candidate, description: candidate.file })), {
        title: 'New eBPF program', placeHolder: 'What should the program attach to?', matchOnDetail: true,
      });
    if (!template) {
      if (templateId) void vscode.window.showErrorMessage(`eBPF: no template "${templateId}"; use one of ${TEMPLATES.map((t) => t.id).join(', ')}.`);
      return undefined;
    }
    let uri = target;
    if (!uri) {
      const folder = await pickFolder();
      if (!folder) return undefined;
      const name = await vscode.window.showInputBox({
        title: `New ${template.label} program`,
        prompt: `File name in ${vscode.workspace.asRelativePath(folder)}; ".bpf.c" is added`,
        value: template.defaultName,
        validateInput: (value) => (/^[\w.-]+$/.test(value.replace(/\.bpf\.c$/, '')) ? undefined : 'Use letters, digits, "-", "_" and "." only'),
      });
      if (!name) return undefined;
      uri = vscode.Uri.joinPath(folder, name.endsWith('.bpf.c') ? name : `${name}.bpf.c`);
    }
    if (await exists(uri)) {
      void vscode.window.showErrorMessage(`eBPF: ${vscode.workspace.asRelativePath(uri)} already exists — choose another name.`);
      return undefined;
    }
    const templateUri = vscode.Uri.joinPath(context.extensionUri, 'templates', template.file);
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(templateUri));
    } catch (error) {
      void vscode.window.showErrorMessage(`eBPF: the ${template.label} template is missing from the extension (${(error as Error).message}) — reinstall the extension.`);
      return undefined;
    }
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text.replaceAll(TEMPLATE_PLACEHOLDER, programIdentifier(uri.fsPath))));
    await vscode.window.showTextDocument(uri);
    return uri;
  }));
}
