/**
 * Big verifier logs (issue #4: tens of MB for 1M-instruction programs) must not stall the
 * language server: the host parses them in slices with an event-loop turn in between. The log
 * here is generated from captured instruction lines (renumbered into one long path, ending in a
 * captured rejection), 30+ MB, which the parser needs most of a second for in one piece.
 * test/kernel/lsp-verify.test.ts does the same through the real server and kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseVerifierLog } from '../../core/src/verifier/parse';
import { parseVerifierLogSliced } from '../../core/src/report/sliced-parse';
import { nextTurn, parseLogsWithoutBlocking } from '../../host/src/verify';
import type { ProgramEvent } from '../../core/src/loader/events';

const LOGS = path.resolve(__dirname, '../../../test/fixtures/verifier/logs');
const TARGET_BYTES = 32 * 1024 * 1024;

/** Instruction lines of a captured log, renumbered into one path of ~32 MB, then a captured failing tail. */
function generatedLog(): string {
  const instructions = readFileSync(path.join(LOGS, 'accepted.level2.log'), 'utf8').split('\n').filter((line) => /^\d+: \([0-9a-f]{2}\) /.test(line));
  assert.ok(instructions.length > 5, 'the captured log has instruction lines');
  const failing = readFileSync(path.join(LOGS, 'null-deref-map-value.log'), 'utf8');
  const parts: string[] = [];
  let bytes = 0;
  let index = 0;
  while (bytes < TARGET_BYTES) {
    const line = instructions[index % instructions.length].replace(/^\d+:/, `${index}:`) + '\n';
    parts.push(line);
    bytes += line.length;
    index++;
  }
  return parts.join('') + failing;
}

/** Runs `work` while a ticker takes event-loop turns; returns the longest time the ticker waited. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; longestMs: number; ticks: number }> {
  let running = true;
  let longestMs = 0;
  let ticks = 0;
  const ticker = (async () => {
    let last = performance.now();
    while (running) {
      await nextTurn();
      const now = performance.now();
      longestMs = Math.max(longestMs, now - last);
      last = now;
      ticks++;
    }
  })();
  const result = await work();
  running = false;
  await ticker;
  return { result, longestMs, ticks };
}

test('a 32 MB log parses in slices: the event loop keeps turning, and the report is the same', async () => {
  const log = generatedLog();
  assert.ok(log.length >= 30 * 1024 * 1024, `generated ${log.length} bytes`);

  const started = performance.now();
  const whole = parseVerifierLog(log);
  const wholeMs = performance.now() - started;
  assert.equal(whole.kind, 'null-deref-map-value');

  const { result, longestMs, ticks } = await longestStall(() => parseVerifierLogSliced(log, nextTurn));
  assert.equal(result.kind, whole.kind);
  assert.equal(result.message, whole.message);
  assert.deepEqual(result.stats, whole.stats);
  assert.deepEqual(result.failingInstruction, whole.failingInstruction);
  assert.ok(ticks >= 20, `only ${ticks} event-loop turns during the parse`);
  // In one piece the parse holds the loop for its whole duration; sliced, for a slice at a time.
  assert.ok(longestMs < Math.max(50, wholeMs / 5), `the loop waited ${longestMs.toFixed(0)} ms at once (whole parse: ${wholeMs.toFixed(0)} ms)`);
});

test('the host parses only big logs ahead, in slices; small ones are left to the report builder', async () => {
  const big = generatedLog();
  const small = readFileSync(path.join(LOGS, 'null-deref-map-value.log'), 'utf8');
  const event = (log: string): ProgramEvent => ({
    event: 'program', name: 'p', section: 'tp/a/b', progType: 'tracepoint', attachTo: null, verdict: 'rejected', errno: 13, log, libbpfLog: '',
    insnsProcessed: null, stackDepth: null, insnCount: 1,
  });
  const started = performance.now();
  parseVerifierLog(big);
  const wholeMs = performance.now() - started;
  const { result, longestMs, ticks } = await longestStall(() => parseLogsWithoutBlocking([event(small), event(big)]));
  assert.equal(result[0], undefined);
  assert.equal(result[1]?.kind, 'null-deref-map-value');
  assert.ok(ticks >= 20, `only ${ticks} event-loop turns`);
  assert.ok(longestMs < Math.max(50, wholeMs / 5), `the loop waited ${longestMs.toFixed(0)} ms at once (whole parse: ${wholeMs.toFixed(0)} ms)`);
});
