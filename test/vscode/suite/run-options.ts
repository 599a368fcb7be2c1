/** What run.ts (outside VS Code) tells the suite (in the extension host) about this run. */

/** Comma-separated suite names (`activation` for activation.test.js); unset runs them all. */
export const TEST_FILTER_ENV = 'BPFDEV_VSCODE_TESTS';

/**
 * The directory the extension under test must have been loaded from: the repository for a
 * development run, the test profile's extensions directory for a run against the .vsix.
 */
export const EXTENSION_ROOT_ENV = 'BPFDEV_VSCODE_EXTENSION_ROOT';
