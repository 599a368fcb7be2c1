/**
 * Runs the VS Code test tier: the extension from this repository (build it first with
 * `npm run build`) in a real VS Code, with the tests of ./suite in its extension host.
 *
 * VS Code desktop cannot be downloaded on our machines, so by default VS Code is the server +
 * workbench from the npm package code-server, shown in headless chromium by code-test-shim.js,
 * which runTests() launches as if it were the VS Code binary. With BPFDEV_VSCODE_DOWNLOAD=1 (a
 * machine that can download VS Code) runTests() downloads and runs VS Code desktop instead.
 *
 *   node out/test/vscode/run.js [--tests NAME,...] [--vsix FILE] [--label NAME]
 *   --tests  only suite/NAME.test.js for each NAME (default: every suite)
 *   --vsix   install this package into the test VS Code and test it instead of the repository:
 *            what users install is what is proven (scripts/package-smoke.sh)
 *   --label  names the run in the totals line (see BPFDEV_VSCODE_TOTALS)
 *
 * Before VS Code starts it starts the SSH test hosts the ssh-hosts suite needs (a loopback
 * sshd; a Debian VM in QEMU when the image is cached, always in CI) and hands them over in
 * BPFDEV_SSH_CONFIG and suite/test-hosts.ts's variable.
 *
 * Ends with one `N passed, N failed, N skipped` line (what CI reads: scripts/test-all.mjs) and a
 * non-zero exit code on failure. With BPFDEV_VSCODE_TOTALS=FILE it appends the counts to FILE as
 * a JSON line and prints them with the label in front instead, so scripts/test-vscode.sh can
 * run several of these and print the one total line itself.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath, runTests } from '@vscode/test-electron';
import { RESULTS_FILE_ENV, SuiteResults } from './suite/results';
import { TEST_FILTER_ENV, EXTENSION_ROOT_ENV } from './suite/run-options';
import { TEST_HOSTS_ENV, TestHosts } from './suite/test-hosts';
import { startSshd, TestSshd } from '../support/sshd';
import { ensureVmImage, startVm, TestVm, vmSkipReason } from '../support/vm';

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

interface RunArgs {
  tests?: string[];
  vsix?: string;
  label: string;
}

function parseArgs(argv: string[]): RunArgs {
  const args: RunArgs = { label: 'VS Code' };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return next;
    };
    switch (argv[i]) {
      case '--tests': args.tests = value().split(',').map((name) => name.trim()).filter(Boolean); break;
      case '--vsix': args.vsix = path.resolve(value()); break;
      case '--label': args.label = value(); break;
      default: throw new Error(`unknown argument ${argv[i]} (usage: run.js [--tests NAME,...] [--vsix FILE] [--label NAME])`);
    }
  }
  return args;
}

/** The started hosts, what the suite learns about them, and how to stop them. */
interface StartedHosts {
  info: TestHosts;
  sshConfig: string;
  stop(): void;
}

/**
 * Starts the loopback sshd and, when this machine can run it, the Debian 6.1 VM (its kernel has
 * tracepoints this one lacks and the other way round: the host-switch test needs two kernels).
 * A host that fails to start is reported to the suite, whose test for it then fails with the reason.
 */
async function startTestHosts(scratch: string): Promise<StartedHosts> {
  const info: TestHosts = {};
  let sshd: TestSshd | undefined;
  let vm: TestVm | undefined;
  const skip = vmSkipReason(['bookworm']);
  if (skip) info.vmSkipReason = skip;
  const vmStarted = skip ? Promise.resolve() : (async () => {
    // A no-op when the image and its saved state are cached; in CI it builds what is missing.
    await ensureVmImage(['bookworm']);
    vm = await startVm('bookworm');
    info.vm = { alias: vm.alias, suite: vm.suite, kernelRelease: vm.kernelRelease };
    console.log(`test host: ${vm.alias}, Debian ${vm.suite} ${vm.kernelRelease}, ${vm.boot} in ${(vm.bootMs / 1000).toFixed(1)}s`);
  })().catch((error: unknown) => { info.vmError = (error as Error).message; });
  try {
    sshd = await startSshd();
    info.loopback = { alias: 'bpfdev-test', logFile: path.join(sshd.dir, 'sshd.log'), listenerPidFile: path.join(sshd.dir, 'sshd.child.pid') };
    console.log(`test host: bpfdev-test, sshd on 127.0.0.1:${sshd.port}`);
  } catch (error) {
    info.loopbackError = (error as Error).message;
  }
  await vmStarted;
  // One ssh_config with every host's Host blocks: each names its own key and known_hosts file.
  const sshConfig = path.join(scratch, 'ssh_config');
  fs.writeFileSync(sshConfig, [sshd?.configPath, vm?.configPath]
    .filter((file): file is string => file !== undefined).map((file) => fs.readFileSync(file, 'utf8')).join('\n'));
  return {
    info, sshConfig,
    stop: () => {
      for (const host of [sshd, vm]) {
        try {
          host?.stop();
        } catch (error) {
          console.error(`stopping a test host: ${(error as Error).message}`);
        }
      }
    },
  };
}

/** Installs the .vsix into `extensionsDir` with the VS Code CLI the run uses. */
async function installVsix(vsix: string, extensionsDir: string, userDataDir: string, download: boolean): Promise<void> {
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` first`);
  let command: string;
  let args: string[];
  if (download) {
    const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(await downloadAndUnzipVSCode());
    command = cli;
    args = cliArgs;
  } else {
    command = process.env.CODE_SERVER_NODE!;
    args = [process.env.CODE_SERVER_ENTRY!];
  }
  const output = childProcess.execFileSync(command, [...args, `--extensions-dir=${extensionsDir}`, `--user-data-dir=${userDataDir}`,
    '--install-extension', vsix, '--force'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  console.log(output.trim().split('\n').filter((line) => /install/i.test(line)).join('\n'));
}

/**
 * VS Code runs extension tests only for a development extension. Against the .vsix, this empty
 * one stands in for it: it contributes nothing and has no code, so the extension the tests talk
 * to is the installed one.
 */
function writePlaceholderDevelopmentExtension(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'bpfdev-package-test-harness', publisher: 'bpfdev-test', version: '0.0.0',
    description: 'Placeholder development extension: VS Code runs extension tests only with one.',
    engines: { vscode: '*' },
  }, null, 2));
  return dir;
}

function knownSuites(): string[] {
  return fs.readdirSync(path.join(__dirname, 'suite')).filter((name) => name.endsWith('.test.js')).map((name) => name.slice(0, -'.test.js'.length));
}

function report(label: string, results: SuiteResults | undefined, exitCode: number, seconds: string): number {
  const counts = results ?? { passed: 0, failed: 1, pending: 0 };
  if (!results) console.log(`the VS Code test run ended without results (exit code ${exitCode}, ${seconds}s)`);
  else console.log(`${label} test run took ${seconds}s`);
  const line = `${counts.passed} passed, ${counts.failed} failed, ${counts.pending} skipped`;
  const totals = process.env.BPFDEV_VSCODE_TOTALS;
  if (totals) {
    fs.appendFileSync(totals, `${JSON.stringify({ label, passed: counts.passed, failed: counts.failed, skipped: counts.pending, exitCode })}\n`);
    console.log(`[${label}] ${line}`);
  } else {
    console.log(line);
  }
  return results && results.failed === 0 && exitCode === 0 ? 0 : 1;
}

/** Named in the totals line even when the run fails before it starts. */
let runLabel = 'VS Code';

async function main(): Promise<number> {
  const started = Date.now();
  const args = parseArgs(process.argv.slice(2));
  runLabel = args.label;
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { main?: string };
  const entry = path.join(repoRoot, manifest.main ?? 'dist/client.js');
  if (!args.vsix && !fs.existsSync(entry)) {
    console.error(`the extension is not built (${path.relative(repoRoot, entry)} is missing): run \`npm run build\` first`);
    return 1;
  }
  const unknown = (args.tests ?? []).filter((name) => !knownSuites().includes(name));
  if (unknown.length) throw new Error(`--tests: no suite ${unknown.join(', ')} (there are: ${knownSuites().join(', ')})`);
  const suites = args.tests ?? knownSuites();

  const download = process.env.BPFDEV_VSCODE_DOWNLOAD === '1';
  if (!download) loadCodeServerTools();

  // A fresh copy per run: tests edit and save files, and the profile must not remember the last run.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-vscode-'));
  const workspace = path.join(scratch, 'workspace');
  fs.cpSync(fixtureWorkspace, workspace, { recursive: true });
  const resultsFile = path.join(scratch, 'results.json');
  const userDataDir = path.join(scratch, 'user-data');
  const extensionsDir = path.join(scratch, 'extensions');
  // The package run's pictures go apart: the development run's are the ones the README shows.
  const screenshots = args.vsix ? path.join(screenshotDir, 'vsix') : screenshotDir;
  fs.mkdirSync(screenshots, { recursive: true });

  let hosts: StartedHosts | undefined;
  let exitCode: number;
  try {
    hosts = suites.includes('ssh-hosts') ? await startTestHosts(scratch) : undefined;
    if (args.vsix) await installVsix(args.vsix, extensionsDir, userDataDir, download);
    exitCode = await runTests({
      ...(download ? {} : { vscodeExecutablePath: shimPath }),
      extensionDevelopmentPath: args.vsix ? writePlaceholderDevelopmentExtension(path.join(scratch, 'harness')) : repoRoot,
      extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
      launchArgs: [workspace,
        // The profile's extensions directory holds nothing but the installed .vsix, if any.
        ...(args.vsix ? [] : ['--disable-extensions']),
        `--user-data-dir=${userDataDir}`, `--extensions-dir=${extensionsDir}`],
      extensionTestsEnv: {
        [RESULTS_FILE_ENV]: resultsFile,
        VSCODE_SHIM_SCREENSHOT_DIR: screenshots,
        [EXTENSION_ROOT_ENV]: args.vsix ? extensionsDir : repoRoot,
        ...(args.tests ? { [TEST_FILTER_ENV]: args.tests.join(',') } : {}),
        ...(hosts ? { BPFDEV_SSH_CONFIG: hosts.sshConfig, [TEST_HOSTS_ENV]: JSON.stringify(hosts.info) } : {}),
      },
    });
  } catch (error) {
    // runTests() rejects when VS Code exits non-zero, which is also how failed tests end.
    console.error(error instanceof Error ? error.message : String(error));
    exitCode = 1;
  } finally {
    hosts?.stop();
  }

  const results = readResults(resultsFile);
  fs.rmSync(scratch, { recursive: true, force: true });
  return report(args.label, results, exitCode, ((Date.now() - started) / 1000).toFixed(1));
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(report(runLabel, undefined, 1, '0'));
});
