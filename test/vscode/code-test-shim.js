#!/usr/bin/env node
// @ts-check
/**
 * Stands in for a VS Code desktop binary when @vscode/test-electron's runTests() is given it as
 * `vscodeExecutablePath`, on machines that cannot download VS Code desktop.
 *
 * It reads the command line runTests() builds (--extensionDevelopmentPath=, --extensionTestsPath=,
 * --user-data-dir=, --extensions-dir=, a workspace folder), starts the real VS Code server and
 * workbench shipped in the npm package `code-server`, opens the workbench in headless chromium
 * through playwright-core, and lets VS Code run the extension tests in its Node extension host.
 * The tests' exit code becomes this process's exit code, as with a desktop VS Code.
 *
 * It also serves screenshots of the workbench to the tests: see startScreenshotServer().
 *
 * Environment:
 *   CODE_SERVER_NODE           the Node binary code-server needs (its own major, 24)
 *   CODE_SERVER_ENTRY          code-server/out/node/entry.js
 *   CHROMIUM_PATH              chromium executable (default /usr/bin/chromium)
 *   VSCODE_SHIM_SCREENSHOT_DIR where screenshots go (default ./test-results/screenshots)
 *   VSCODE_SHIM_TIMEOUT_S      limit for the whole run (default 900)
 *   VSCODE_SHIM_DEBUG=1        also print code-server's output and the browser console
 * Exported to the extension host:
 *   VSCODE_SHIM_SCREENSHOT_URL base URL of the screenshot server
 */
'use strict';
const cp = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const SCREENSHOT_URL_ENV = 'VSCODE_SHIM_SCREENSHOT_URL';
const DEBUG = process.env.VSCODE_SHIM_DEBUG === '1';
const TIMEOUT_S = Number(process.env.VSCODE_SHIM_TIMEOUT_S || 900);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// A unix socket path is limited to 108 bytes and code-server puts one in the user data dir.
const MAX_SOCKET_DIR_LENGTH = 100 - 'code-server-ipc.sock'.length;

/**
 * Workbench start-up chatter that reaches codeAutomationLog with the test output. It says
 * nothing about the tests, so it is dropped unless VSCODE_SHIM_DEBUG=1.
 */
const WORKBENCH_CHATTER = [
  /^Resolv(ing|ed) connection token/, /^Creating a socket/, /^\[reconnection-grace-time\]/,
  /^Ignoring fetching additional builtin extensions/, /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/, /^\[AgentHost/, /^\[AccountPolicyGate\]/,
];

/** @param {string} message */
function log(message) { process.stderr.write(`[shim] ${message}\n`); }

/** @param {string} name */
function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (scripts/vscode-test-tools.sh prints it)`);
  return value;
}

/**
 * @typedef {{ developmentPaths: string[], testsPath?: string, userDataDir?: string,
 *   extensionsDir?: string, workspace?: string, vscodeOptions: string[] }} LaunchRequest
 * @param {string[]} argv
 * @returns {LaunchRequest}
 */
function parseDesktopArgs(argv) {
  /** @type {LaunchRequest} */
  const request = { developmentPaths: [], vscodeOptions: [] };
  for (const arg of argv) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match) { request.workspace ??= path.resolve(arg); continue; }
    const [, key, value = ''] = match;
    switch (key) {
      case 'extensionDevelopmentPath': request.developmentPaths.push(path.resolve(value)); break;
      case 'extensionTestsPath': request.testsPath = path.resolve(value); break;
      case 'user-data-dir': request.userDataDir = path.resolve(value); break;
      case 'extensions-dir': request.extensionsDir = path.resolve(value); break;
      case 'disable-extensions': request.vscodeOptions.push('--vscode-option', 'disable-extensions'); break;
      case 'enable-proposed-api': request.vscodeOptions.push('--enable-proposed-api', value); break;
      // Desktop-only switches (sandbox, GPU, updates, welcome page): nothing to do in a browser.
      default: if (DEBUG) log(`ignoring ${arg}`);
    }
  }
  return request;
}

/** @param {string} dir */
function mkdirp(dir) { fs.mkdirSync(dir, { recursive: true }); return dir; }

/**
 * Writes the user settings once: no welcome page, telemetry, update checks or trust prompt, so
 * every run shows the same workbench and nothing waits on a network this machine does not have.
 * @param {string} userDataDir
 */
function prepareProfile(userDataDir) {
  const settingsFile = path.join(mkdirp(path.join(userDataDir, 'User')), 'settings.json');
  if (fs.existsSync(settingsFile)) return;
  fs.writeFileSync(settingsFile, JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'security.workspace.trust.enabled': false,
    'chat.disableAIFeatures': true,
    // The web workbench saves after a delay by default, desktop does not: tests type unsaved
    // text (completion) and decide themselves when a save, which verifies, happens.
    'files.autoSave': 'off',
    // The (empty) chat side bar would take a third of every screenshot.
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  }, null, 2));
}

/** Resolves playwright-core from the project under test first, then from next to this file. */
function loadPlaywright() {
  return require(require.resolve('playwright-core', { paths: [process.cwd(), __dirname] }));
}

class Run {
  constructor() {
    this.tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-shim-'));
    /** @type {cp.ChildProcess | undefined} */ this.server = undefined;
    /** @type {any} */ this.browser = undefined;
    /** @type {any} */ this.page = undefined;
    /** @type {http.Server | undefined} */ this.screenshotServer = undefined;
    this.serverOutput = '';
    this.finished = false;
  }

  /** @param {LaunchRequest} request */
  async start(request) {
    if (!request.testsPath || request.developmentPaths.length === 0) {
      throw new Error('need --extensionDevelopmentPath= and --extensionTestsPath=');
    }
    let userDataDir = request.userDataDir ?? path.join(this.tmpRoot, 'user-data');
    if (userDataDir.length > MAX_SOCKET_DIR_LENGTH) {
      userDataDir = path.join(this.tmpRoot, 'user-data');
      log(`user-data-dir too long for code-server's unix socket, using ${userDataDir}`);
    }
    mkdirp(userDataDir);
    prepareProfile(userDataDir);
    const extensionsDir = mkdirp(request.extensionsDir ?? path.join(this.tmpRoot, 'extensions'));

    const screenshotUrl = await this.startScreenshotServer();
    const base = await this.startCodeServer(userDataDir, extensionsDir, request.vscodeOptions, screenshotUrl);
    await this.openWorkbench(base, request);
  }

  /**
   * Serves `POST /screenshot?name=<name>[&waitFor=<css selector>][&timeoutMs=<ms>]`: waits until
   * the selector is visible (so a test can wait for the panel it opened to render, instead of
   * sleeping; at most timeoutMs, default 30 s), then saves
   * a screenshot of the whole workbench page as <VSCODE_SHIM_SCREENSHOT_DIR>/<name>.png and answers
   * `{"path": ...}`. Bound to 127.0.0.1 only: it is reachable by the local extension host alone.
   * @returns {Promise<string>}
   */
  startScreenshotServer() {
    const directory = path.resolve(process.env.VSCODE_SHIM_SCREENSHOT_DIR || path.join('test-results', 'screenshots'));
    const server = http.createServer((req, res) => {
      /** @param {number} status @param {object} body */
      const reply = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'POST' || url.pathname !== '/screenshot') return reply(404, { error: 'POST /screenshot?name=...' });
      const name = url.searchParams.get('name') ?? '';
      if (!/^[A-Za-z0-9._-]{1,80}$/.test(name) || name.startsWith('.')) return reply(400, { error: `bad screenshot name ${JSON.stringify(name)}` });
      if (!this.page) return reply(503, { error: 'the workbench page is not open yet' });
      const waitFor = url.searchParams.get('waitFor');
      const timeout = Math.min(Number(url.searchParams.get('timeoutMs')) || 30_000, 120_000);
      const file = path.join(mkdirp(directory), `${name}.png`);
      (async () => {
        let waitError;
        if (waitFor) {
          await this.page.waitForSelector(waitFor, { state: 'visible', timeout })
            .catch((/** @type {Error} */ error) => { waitError = error; });
        }
        // Saved even when the selector never showed up: the picture is what explains why.
        await this.page.screenshot({ path: file });
        if (waitError) reply(500, { error: `${waitFor} not visible (screenshot saved as ${file} anyway): ${waitError}` });
        else reply(200, { path: file });
      })().catch((/** @type {Error} */ error) => reply(500, { error: error.message }));
    });
    this.screenshotServer = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = /** @type {import('node:net').AddressInfo} */ (server.address());
        resolve(`http://127.0.0.1:${address.port}`);
      });
    });
  }

  /**
   * Starts code-server on a port the kernel picks and resolves its base URL once it says it listens.
   * @param {string} userDataDir @param {string} extensionsDir @param {string[]} vscodeOptions
   * @param {string} screenshotUrl
   * @returns {Promise<string>}
   */
  startCodeServer(userDataDir, extensionsDir, vscodeOptions, screenshotUrl) {
    const configFile = path.join(this.tmpRoot, 'code-server.yaml');
    fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
    const args = [requireEnv('CODE_SERVER_ENTRY'), '--config', configFile, '--auth', 'none',
      '--bind-addr', '127.0.0.1:0', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--disable-getting-started-override', '--ignore-last-opened',
      // A built VS Code honours extensionDevelopmentPath/extensionTestsPath from the URL payload
      // only with the smoke-test driver on (VS Code's own web integration tests use the same switch);
      // without it the workbench opens and the run never ends.
      '--vscode-option', 'enable-smoke-test-driver', ...vscodeOptions];
    const server = cp.spawn(requireEnv('CODE_SERVER_NODE'), args, {
      // Own process group, so finish() can end code-server and its extension host together.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        // No marketplace: the machine is offline and tests must not depend on one.
        EXTENSIONS_GALLERY: '{}',
        ...process.env,
        CS_DISABLE_FILE_DOWNLOADS: '1',
        // code-server writes logs, a heartbeat and a config under ~/.local/share and ~/.config,
        // and the VS Code server leaves vscode-ipc-*.sock files in $TMPDIR: keep all of it here.
        XDG_DATA_HOME: path.join(this.tmpRoot, 'xdg-data'),
        XDG_CONFIG_HOME: path.join(this.tmpRoot, 'xdg-config'),
        TMPDIR: mkdirp(path.join(this.tmpRoot, 'tmp')),
        // The extension host inherits the server's environment: this is how tests find us.
        [SCREENSHOT_URL_ENV]: screenshotUrl,
      },
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      let resolved = false;
      /** @param {Buffer} chunk */
      const onOutput = (chunk) => {
        const text = chunk.toString();
        this.serverOutput += text;
        if (DEBUG) process.stderr.write(`[code-server] ${text}`);
        const listening = /HTTP server listening on (http:\/\/\S+?)\/?\s/.exec(this.serverOutput);
        if (listening && !resolved) { resolved = true; resolve(listening[1]); }
      };
      server.stdout?.on('data', onOutput);
      server.stderr?.on('data', onOutput);
      server.on('error', reject);
      server.on('exit', (code, signal) => {
        const message = `code-server exited (${code ?? signal}) before the tests finished\n${this.serverOutput}`;
        if (!resolved) reject(new Error(message));
        else if (!this.finished) { log(message); void this.finish(1); }
      });
    });
  }

  /**
   * Opens the workbench with the test run in the URL payload. The workbench reports through two
   * page functions: codeAutomationLog (the extension host's console, i.e. the test output) and
   * codeAutomationExit (the run's exit code).
   * @param {string} base @param {LaunchRequest} request
   */
  async openWorkbench(base, request) {
    const { chromium } = loadPlaywright();
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(this.tmpRoot, 'xdg-config'), XDG_CACHE_HOME: path.join(this.tmpRoot, 'xdg-cache') },
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps'],
    });
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.exposeFunction('codeAutomationLog', (/** @type {string} */ type, /** @type {unknown} */ message) => {
      const parts = Array.isArray(message) ? message : [message];
      if (!DEBUG && typeof parts[0] === 'string' && WORKBENCH_CHATTER.some((pattern) => pattern.test(parts[0]))) return;
      const write = type === 'error' || type === 'warn' ? console.error : console.log;
      write(...parts);
    });
    await page.exposeFunction('codeAutomationExit', (/** @type {number} */ code) => {
      // Answer the page first; closing the browser from inside its own callback would hang.
      setImmediate(() => void this.finish(code));
    });
    if (DEBUG) {
      page.on('console', (/** @type {any} */ message) => log(`browser ${message.type()}: ${message.text()}`));
      page.on('pageerror', (/** @type {Error} */ error) => log(`browser page error: ${error}`));
    }
    const host = new URL(base).host;
    const remote = (/** @type {string} */ file) => `vscode-remote://${host}${file.split(path.sep).join('/')}`;
    const payload = [
      ...request.developmentPaths.map((p) => ['extensionDevelopmentPath', remote(p)]),
      ['extensionTestsPath', remote(/** @type {string} */ (request.testsPath))],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    let url = `${base}/?payload=${encodeURIComponent(JSON.stringify(payload))}`;
    if (!request.workspace) url += '&ew=true';
    else if (request.workspace.endsWith('.code-workspace')) url += `&workspace=${encodeURIComponent(request.workspace)}`;
    else url += `&folder=${encodeURIComponent(request.workspace)}`;
    if (DEBUG) log(`opening ${url}`);
    this.page = page;
    await page.goto(url);
  }

  /** @param {number} code */
  async finish(code) {
    if (this.finished) return;
    this.finished = true;
    try { await this.browser?.close(); } catch (error) { log(`closing chromium: ${error}`); }
    this.screenshotServer?.close();
    await this.stopServer();
    fs.rmSync(this.tmpRoot, { recursive: true, force: true });
    process.exit(code);
  }

  /** Ends code-server's process group: politely, then for good if it lingers. */
  async stopServer() {
    const server = this.server;
    if (!server?.pid || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    const signalGroup = (/** @type {NodeJS.Signals} */ signal) => {
      try { process.kill(-(/** @type {number} */ (server.pid)), signal); } catch { /* already gone */ }
    };
    signalGroup('SIGTERM');
    /** @type {NodeJS.Timeout | undefined} */ let timer;
    const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 5_000); });
    if ((await Promise.race([exited, timedOut])) === 'timeout') signalGroup('SIGKILL');
    clearTimeout(timer);
  }
}

const run = new Run();
process.on('SIGINT', () => void run.finish(130));
process.on('SIGTERM', () => void run.finish(143));
setTimeout(() => { log(`no result after ${TIMEOUT_S}s, giving up`); void run.finish(124); }, TIMEOUT_S * 1000).unref();
run.start(parseDesktopArgs(process.argv.slice(2))).catch((error) => {
  log(error instanceof Error ? error.stack ?? error.message : String(error));
  void run.finish(1);
});
