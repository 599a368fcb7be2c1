// Lint rules that encode the architecture: core/ and protocol/ stay pure (no I/O, no editor APIs),
// the server never writes to the console (stdout is the LSP channel), promises are never dropped.
import tseslint from 'typescript-eslint';

const ioModules = ['vscode', 'vscode-languageserver', 'vscode-languageserver/node', 'vscode-languageclient',
  'vscode-languageclient/node', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process',
  'node:child_process', 'ssh2', 'net', 'node:net', 'os', 'node:os'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'loader/**', '**/*.js', '**/*.mjs', 'test/fixtures/**', 'examples/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['core/**/*.ts', 'protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules.map((name) => ({ name, message: 'core/ and protocol/ are pure: do I/O in host/, server/ or client/.' })) }],
    },
  },
  { files: ['server/**/*.ts'], rules: { 'no-console': 'error' } },
);
