/**
 * The HTML shell every webview of ours uses: a strict Content-Security-Policy (our own styles,
 * only scripts carrying this page's nonce), the stylesheet and scripts from `media/`.
 */
import * as vscode from 'vscode';

export interface WebviewPageParts {
  title: string;
  /** File names under `media/`. */
  styles: string[];
  scripts: string[];
  body: string;
}

export function webviewPage(webview: vscode.Webview, media: vscode.Uri, parts: WebviewPageParts): string {
  const nonce = Array.from({ length: 24 }, () => Math.floor(Math.random() * 36).toString(36)).join('');
  const uri = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(media, name)).toString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${parts.styles.map((name) => `<link rel="stylesheet" href="${uri(name)}">`).join('\n')}
<title>${parts.title}</title>
</head>
<body>
${parts.body}
${parts.scripts.map((name) => `<script nonce="${nonce}" src="${uri(name)}"></script>`).join('\n')}
</body>
</html>`;
}
