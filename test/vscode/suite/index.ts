/**
 * The extensionTestsPath entry point: VS Code calls run() in the extension host once the
 * workbench is up. Runs every *.test.js next to this file with mocha (tdd ui), prints one line per
 * test and writes the totals for run.ts (see results.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { RESULTS_FILE_ENV, SuiteResults, TestResult } from './results';
import { TEST_FILTER_ENV } from './run-options';
import { screenshot } from './screenshot';

function fullTitle(runnable: Mocha.Runnable): string {
  return runnable.titlePath().join(' > ');
}

/** What the workbench showed when a test failed is often the quickest explanation. */
async function screenshotAfterFailure(this: Mocha.Context): Promise<void> {
  const test = this.currentTest;
  if (test?.state !== 'failed') return;
  const name = `failed-${test.titlePath().join('-').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 70)}`;
  try {
    await screenshot(name);
  } catch (error) {
    console.log(`    (no screenshot of the failure: ${(error as Error).message})`);
  }
}

export function run(): Promise<void> {
  // A glob that matches nothing (a renamed suffix, a wrong outDir) must fail, not pass empty.
  const allFiles = fs.readdirSync(__dirname).filter((name) => name.endsWith('.test.js')).sort();
  if (allFiles.length === 0) {
    return Promise.reject(new Error(`no *.test.js files in ${__dirname}: is the suite compiled (npx tsc -b test)?`));
  }
  // run.ts --tests: a name that matches no file fails the run rather than shrinking it silently.
  const wanted = process.env[TEST_FILTER_ENV]?.split(',').filter(Boolean);
  const missing = (wanted ?? []).filter((name) => !allFiles.includes(`${name}.test.js`));
  if (missing.length) return Promise.reject(new Error(`${TEST_FILTER_ENV} names no suite ${missing.join(', ')} in ${__dirname}`));
  const testFiles = wanted ? allFiles.filter((name) => wanted.includes(name.slice(0, -'.test.js'.length))) : allFiles;
  // Each test sets its own deadline where it waits on the kernel or the language server; this
  // one only catches a test that hangs where it should not.
  const mocha = new Mocha({
    ui: 'tdd', color: false, timeout: 180_000, reporter: 'spec',
    rootHooks: { afterEach: screenshotAfterFailure },
  });
  for (const name of testFiles) mocha.addFile(path.join(__dirname, name));

  const results: SuiteResults = { passed: 0, failed: 0, pending: 0, tests: [] };
  const record = (result: TestResult) => {
    results.tests.push(result);
    results[result.state] += 1;
  };
  return new Promise((resolve, reject) => {
    const runner = mocha.run(() => {
      if (results.tests.length === 0) {
        record({ title: `${testFiles.join(', ')} defined no tests`, state: 'failed' });
      }
      const resultsFile = process.env[RESULTS_FILE_ENV];
      if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));
      // Worded unlike run.ts's summary line, which is the one CI parses.
      console.log(`mocha in VS Code: ${results.passed} passing, ${results.failed} failing, ${results.pending} pending`);
      if (results.failed > 0) reject(new Error(`${results.failed} of the VS Code tests failed`));
      else resolve();
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => record({ title: fullTitle(test), state: 'passed', durationMs: test.duration }));
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test) => record({ title: fullTitle(test), state: 'pending' }));
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (runnable, error: Error) => record({
      title: fullTitle(runnable), state: 'failed', durationMs: runnable.duration, error: error.stack ?? error.message,
    }));
  });
}
