/**
 * The results file the suite (in the extension host) writes for run.ts (outside VS Code): the
 * only channel that survives both the code-server shim and a downloaded VS Code desktop, whose
 * console output formats differ.
 */
export const RESULTS_FILE_ENV = 'BPFDEV_VSCODE_RESULTS';

export interface TestResult {
  /** Suite and test titles joined with ' > '. */
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface SuiteResults {
  passed: number;
  /** Failed tests plus failed hooks (a failing `suiteSetup` fails its whole suite). */
  failed: number;
  pending: number;
  tests: TestResult[];
}
