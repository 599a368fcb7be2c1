/**
 * Screenshots of the workbench, for the reports a human looks at: asks the code-server shim
 * (code-test-shim.js), which drives the browser showing the workbench, to save one as
 * test-results/screenshots/<name>.png. In a VS Code desktop run nothing can see the window, so
 * it logs and does nothing.
 */
import * as http from 'node:http';

const SCREENSHOT_URL_ENV = 'VSCODE_SHIM_SCREENSHOT_URL';

export interface ScreenshotOptions {
  /**
   * A Playwright selector (CSS, or `text=...`) that must be visible before the picture is taken,
   * so a test waits for the view it opened to render rather than for a fixed time.
   */
  waitFor?: string;
  /** How long to wait for `waitFor` (default 30 s); the picture is saved either way. */
  timeoutMs?: number;
}

/** Resolves the path of the saved PNG, or undefined when not running under the shim. */
export async function screenshot(name: string, options: ScreenshotOptions = {}): Promise<string | undefined> {
  const base = process.env[SCREENSHOT_URL_ENV];
  if (!base) {
    console.log(`screenshot '${name}' skipped: ${SCREENSHOT_URL_ENV} is not set (not running under code-test-shim.js)`);
    return undefined;
  }
  const url = new URL('/screenshot', base);
  url.searchParams.set('name', name);
  if (options.waitFor) url.searchParams.set('waitFor', options.waitFor);
  if (options.timeoutMs) url.searchParams.set('timeoutMs', String(options.timeoutMs));
  const { status, body } = await post(url);
  const reply = JSON.parse(body) as { path?: string; error?: string };
  if (status !== 200 || !reply.path) throw new Error(`screenshot '${name}' failed (HTTP ${status}): ${reply.error ?? body}`);
  console.log(`screenshot '${name}': ${reply.path}`);
  return reply.path;
}

function post(url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}
