/**
 * Runs the VS Code test tier: the extension from this repository (build it first with
 * `npm run build`) in a real VS Code, with the tests of ./suite in its extension host.
 *
 * VS Code desktop cannot be downloaded on our machines, so by default VS Code is the server +
 * workbench from the npm package code-server, shown in headless chromium by code-test-shim.js,
 * which runTests() launches as if it were the VS Code binary. With BPFDEV_VSCODE_DOWNLOAD=1 (a
 * machine that can download VS Code) runTests() downloads and runs VS Code desktop instead.
 *
 * Ends with one `N passed, N failed, N skipped` line (what CI reads: scripts/test-all.mjs) and a
 * non-zero exit code on failure.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { RESULTS_FILE_ENV, SuiteResults } from './suite/results';

const repoRoot = path.resolve(__dirname, '../../..');
const shimPath = path.join(repoRoot, 'test', 'vscode', 'code-test-shim.js');
const fixtureWorkspace = path.join(repoRoot, 'test', 'fixtures', 'workspace');
const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

/** Installs the code-server toolchain if needed and adopts the `export NAME=value` lines it prints. */
function loadCodeServerTools(): void {
  if (process.env.CODE_SERVER_ENTRY && process.env.CODE_SERVER_NODE) return;
  const script = path.join(repoRoot, 'scripts', 'vscode-test-tools.sh');
  const stdout = childProcess.execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const line of stdout.split('\n')) {
    const match = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) process.env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  for (const name of ['CODE_SERVER_ENTRY', 'CODE_SERVER_NODE']) {
    if (!process.env[name]) throw new Error(`${script} did not print ${name}`);
  }
}

function readResults(file: string): SuiteResults | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SuiteResults;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { main?: string };
  const entry = path.join(repoRoot, manifest.main ?? 'dist/client.js');
  if (!fs.existsSync(entry)) {
    console.error(`the extension is not built (${path.relative(repoRoot, entry)} is missing): run \`npm run build\` first`);
    return 1;
  }

  const download = process.env.BPFDEV_VSCODE_DOWNLOAD === '1';
  if (!download) loadCodeServerTools();

  // A fresh copy per run: tests edit and save files, and the profile must not remember the last run.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-vscode-'));
  const workspace = path.join(scratch, 'workspace');
  fs.cpSync(fixtureWorkspace, workspace, { recursive: true });
  const resultsFile = path.join(scratch, 'results.json');
  fs.mkdirSync(screenshotDir, { recursive: true });

  let exitCode: number;
  try {
    exitCode = await runTests({
      ...(download ? {} : { vscodeExecutablePath: shimPath }),
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
      launchArgs: [workspace, '--disable-extensions',
        `--user-data-dir=${path.join(scratch, 'user-data')}`, `--extensions-dir=${path.join(scratch, 'extensions')}`],
      extensionTestsEnv: { [RESULTS_FILE_ENV]: resultsFile, VSCODE_SHIM_SCREENSHOT_DIR: screenshotDir },
    });
  } catch (error) {
    // runTests() rejects when VS Code exits non-zero, which is also how failed tests end.
    console.error(error instanceof Error ? error.message : String(error));
    exitCode = 1;
  }

  const results = readResults(resultsFile);
  fs.rmSync(scratch, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!results) {
    // VS Code ended before the suite wrote its results: count the run itself as the failure.
    console.log(`the VS Code test run ended without results (exit code ${exitCode}, ${seconds}s)`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  console.log(`VS Code test tier took ${seconds}s`);
  console.log(`${results.passed} passed, ${results.failed} failed, ${results.pending} skipped`);
  return results.failed === 0 && exitCode === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  console.log('0 passed, 1 failed');
  process.exit(1);
});
