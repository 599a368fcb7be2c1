/**
 * "eBPF: Show Verifier State" (issue #11 item 7): a webview beside the editor that steps through
 * a program's verifier log, instruction by instruction, with the register and stack state at each
 * step and the path that led to the error; clicking a step reveals its source line. Opened from
 * the "Verifier state" CodeLens, the "Show verifier state" code action on a verifier diagnostic,
 * or the command palette. The server builds the model (bpfdev/verifierView); this module only
 * shows it and asks again at log level 2 on request.
 */
import * as vscode from 'vscode';
import { webviewPage } from '../webview-page';
import { ShowVerifierStateCommand, VerifierViewResult } from '../../../protocol/src/protocol';
import type { BpfLanguageClient } from '../language-client';
import { isBpfDocument } from '../config';

export const SHOW_VERIFIER_STATE_COMMAND = ShowVerifierStateCommand;

/** Messages the page sends (media/verifier-view.js). */
type FromPage =
  | { type: 'ready' }
  | { type: 'reveal'; line: number }
  | { type: 'rerun'; logLevel: 1 | 2 }
  | { type: 'program'; name: string }
  | { type: 'selected'; step: number };

/** What the command resolves: for tests and other extensions. */
export interface ShownVerifierState {
  uri: string;
  program?: string;
  result: VerifierViewResult;
}

class VerifierPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private document?: vscode.TextDocument;
  private program?: string;
  private result?: VerifierViewResult;
  private pageReady = false;
  private readonly selectedEmitter = new vscode.EventEmitter<number>();
  /** The step the page shows, after a click or a key: tests wait on it. */
  readonly onDidSelectStep = this.selectedEmitter.event;

  constructor(private readonly context: vscode.ExtensionContext, private readonly client: BpfLanguageClient) {}

  dispose(): void {
    this.panel?.dispose();
    this.selectedEmitter.dispose();
  }

  async show(document: vscode.TextDocument, program: string | undefined, logLevel: 1 | 2 = 1): Promise<ShownVerifierState> {
    this.document = document;
    this.program = program;
    const panel = this.ensurePanel();
    panel.title = `Verifier: ${program ?? vscode.workspace.asRelativePath(document.uri)}`;
    void this.post({ type: 'loading', text: `Loading ${program ?? 'the programs'} in the verifier at log level ${logLevel}…` });
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `eBPF: verifier log level ${logLevel}` },
      () => this.client.verifierView({ uri: document.uri.toString(), logLevel }),
    );
    this.result = result;
    await this.render();
    return { uri: document.uri.toString(), ...(program ? { program } : {}), result };
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return this.panel;
    }
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('bpfdev.verifierState', 'Verifier', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: true });
    panel.iconPath = vscode.Uri.joinPath(media, 'ebpf.svg');
    panel.webview.html = html(panel.webview, media);
    this.pageReady = false;
    panel.webview.onDidReceiveMessage((message: FromPage) => this.onMessage(message));
    panel.onDidDispose(() => { if (this.panel === panel) { this.panel = undefined; this.pageReady = false; } });
    this.panel = panel;
    return panel;
  }

  private async render(): Promise<void> {
    if (!this.pageReady || !this.result || !this.document) return;
    await this.post({ type: 'show', file: vscode.workspace.asRelativePath(this.document.uri), program: this.program, result: this.result });
  }

  private onMessage(message: FromPage): void {
    switch (message.type) {
      case 'ready':
        this.pageReady = true;
        void this.render();
        break;
      case 'reveal':
        void this.reveal(message.line);
        break;
      case 'rerun':
        if (this.document) void this.show(this.document, this.program, message.logLevel);
        break;
      case 'program':
        this.program = message.name;
        if (this.panel) this.panel.title = `Verifier: ${message.name}`;
        break;
      case 'selected':
        this.selectedEmitter.fire(message.step);
        break;
    }
  }

  private async reveal(line: number): Promise<void> {
    if (!this.document || line < 1) return;
    const editor = await vscode.window.showTextDocument(this.document, { viewColumn: vscode.ViewColumn.One, preserveFocus: true });
    const position = new vscode.Position(line - 1, 0);
    editor.selection = new vscode.Selection(position, position.translate(0, editor.document.lineAt(line - 1).text.length));
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private post(message: unknown): Thenable<boolean> {
    return this.panel ? this.panel.webview.postMessage(message) : Promise.resolve(false);
  }
}

export function registerVerifierView(context: vscode.ExtensionContext, client: BpfLanguageClient): VerifierPanel {
  const panel = new VerifierPanel(context, client);
  context.subscriptions.push(panel, vscode.commands.registerCommand(SHOW_VERIFIER_STATE_COMMAND, async (target?: vscode.Uri | string, program?: string, logLevel?: 1 | 2) => {
    // The CodeLens and the code action pass the URI as a string and the program's name; the
    // page's "Re-run at log level 2" button (and tests) ask for level 2.
    const uri = typeof target === 'string' ? vscode.Uri.parse(target) : target;
    const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!document || !isBpfDocument(document)) {
      void vscode.window.showErrorMessage('eBPF: open a .bpf.c file to see the verifier state of its programs.');
      return undefined;
    }
    if (document.isDirty) await document.save();
    return panel.show(document, program, logLevel === 2 ? 2 : 1);
  }));
  return panel;
}

function html(webview: vscode.Webview, media: vscode.Uri): string {
  return webviewPage(webview, media, {
    title: 'Verifier state', styles: ['verifier-view.css'], scripts: ['verifier-view.js'],
    body: `<div class="toolbar" role="toolbar">
  <select id="program" aria-label="Program"></select>
  <label><input id="pathOnly" type="checkbox" checked> Path to the error only</label>
  <button id="prev" title="Previous step (↑)">◀</button>
  <button id="next" title="Next step (↓)">▶</button>
  <button id="nextBranch" title="Next branch point on the path">Next branch</button>
  <button id="rerun" title="Load again with log level 2: every state the verifier explored">Re-run at log level 2</button>
  <span id="status" class="status" aria-live="polite"></span>
</div>
<div id="error" class="error" hidden></div>
<div class="main">
  <div id="steps" class="steps" tabindex="0" role="listbox" aria-label="Instructions the verifier walked"></div>
  <div id="state" class="state" aria-live="polite"></div>
</div>
<p id="empty" class="empty">Loading…</p>`,
  });
}
