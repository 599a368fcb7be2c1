// Counts a node:test TAP report the way scripts/test-all.mjs needs it, shared with its unit test
// (test/unit/tap-counts.test.ts).
//
// Node's own summary (`# pass`, `# skipped`, ...) is the base, corrected where it misleads
// (issue #9):
// - a skipped `describe` is a suite, and the summary counts tests only: a tier whose suites all
//   skip (no QEMU, no libbpf-dev) would look like "0 skipped". Each skipped suite counts as one
//   skip here, with its reason;
// - a test file that registers no test at all shows up as one passing test named by the file's
//   path; it ran nothing, so it is not a pass. Such files are listed instead.

/**
 * @typedef {object} TapCounts
 * @property {number} passed
 * @property {number} failed     failed and cancelled tests
 * @property {number} skipped    skipped tests, todo tests and skipped suites
 * @property {string[]} skippedNames  `name: reason` of each skipped test or suite
 * @property {string[]} emptyFiles    test files that registered no test
 */

const RESULT = /^(\s*)(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)\b ?(.*))?$/;

/** TAP escapes `#` and `\` in names and directive text. */
function unescape(text) {
  return text.replace(/\\([\\#])/g, '$1');
}

/** The YAML block after a result line, as the lines between `---` and `...` at `indent`. */
function yamlBlock(lines, index, indent) {
  const open = lines[index + 1];
  if (open === undefined || open.trim() !== '---') return [];
  const block = [];
  for (let i = index + 2; i < lines.length; i++) {
    if (lines[i].trim() === '...' && lines[i].length - lines[i].trimStart().length <= indent + 2) break;
    block.push(lines[i].trim());
  }
  return block;
}

/**
 * @param {string} text   the TAP report of one `node --test` run
 * @param {readonly string[]} [files]  the test files given to that run, as given
 * @returns {TapCounts}
 */
export function tapCounts(text, files = []) {
  const summary = (key) => Number((new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text) ?? [])[1] ?? 0);
  const lines = text.split('\n');
  const fileSet = new Set(files);
  const skippedNames = [];
  const emptyFiles = [];
  let skippedSuites = 0;
  for (let i = 0; i < lines.length; i++) {
    const match = RESULT.exec(lines[i]);
    if (!match) continue;
    const [, indent, status, rawName, directive, reason = ''] = match;
    const name = unescape(rawName);
    const isSuite = yamlBlock(lines, i, indent.length).includes("type: 'suite'");
    if (directive === 'SKIP' || directive === 'TODO') {
      if (isSuite) skippedSuites++;
      skippedNames.push(`${name}: ${directive === 'TODO' ? 'todo ' : ''}${unescape(reason) || '(no reason given)'}`);
    } else if (status === 'ok' && indent === '' && !isSuite && fileSet.has(name)) {
      emptyFiles.push(name);
    }
  }
  return {
    passed: summary('pass') - emptyFiles.length,
    failed: summary('fail') + summary('cancelled'),
    skipped: summary('skipped') + summary('todo') + skippedSuites,
    skippedNames,
    emptyFiles,
  };
}

/**
 * A tier's final counts: a runner that exited non-zero without a counted failure (a crash, a
 * reporter that died) fails once, and a tier that neither ran nor skipped any test fails: a
 * glob that matches nothing after a rename must not look green (in and out of CI).
 * @template {{ passed: number, failed: number, skipped: number, note?: string }} T
 * @param {T} counts
 * @param {number | null} exitStatus  the runner's exit status (null when killed by a signal)
 * @returns {T}
 */
export function settleTier(counts, exitStatus) {
  const settled = { ...counts };
  const notes = settled.note ? [settled.note] : [];
  if (exitStatus !== 0 && settled.failed === 0) {
    settled.failed = 1;
    notes.push(`the runner exited with ${exitStatus ?? 'a signal'} but reported no failure`);
  }
  if (settled.passed + settled.failed + settled.skipped === 0) {
    settled.failed = 1;
    notes.push('ran no test at all');
  }
  if (notes.length) settled.note = notes.join('; ');
  return settled;
}
